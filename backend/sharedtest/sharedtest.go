// Package sharedtest locates the team's reference material (../shared beside
// the repository) for tests, and skips them with a clear message when it is
// absent. Nothing from there is ever copied into the repository.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of ../shared relative to the module root,
// or skips the test when it does not exist. WHETSTONE_SHARED overrides it.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("WHETSTONE_SHARED"); d != "" {
		return d
	}
	root, err := moduleRoot()
	if err != nil {
		t.Skipf("reference material unavailable: %v", err)
	}
	dir := filepath.Join(filepath.Dir(root), "shared")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("reference material ../shared not found at %s: skipping (CI always has it)", dir)
	}
	return dir
}

// Path returns a file inside ../shared, skipping the test if it is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference file %s not found: skipping", p)
	}
	return p
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
