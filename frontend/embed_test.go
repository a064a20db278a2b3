package frontend

import (
	"io/fs"
	"testing"
)

// The placeholder keeps the embed valid before a build; Assets must then
// report that the UI is missing instead of serving an empty directory.
func TestAssetsReportsMissingBuildOrServesIndex(t *testing.T) {
	sub, err := Assets()
	if _, statErr := fs.Stat(Dist, "dist/index.html"); statErr != nil {
		if err == nil {
			t.Fatal("Assets() succeeded without dist/index.html")
		}
		return
	}
	if err != nil {
		t.Fatalf("Assets() with a build present: %v", err)
	}
	if _, err := fs.ReadFile(sub, "index.html"); err != nil {
		t.Fatalf("index.html not at the root of Assets(): %v", err)
	}
}
