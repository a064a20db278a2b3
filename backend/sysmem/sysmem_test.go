package sysmem

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMeminfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meminfo")
	data := "MemTotal:       24000000 kB\nMemFree:         1000 kB\nMemAvailable:   12345678 kB\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := meminfo(path, "MemAvailable:"); got != 12345678<<10 {
		t.Errorf("MemAvailable = %d", got)
	}
	if got := meminfo(path, "MemTotal:"); got != 24000000<<10 {
		t.Errorf("MemTotal = %d", got)
	}
	if got := meminfo(path, "SwapTotal:"); got != 0 {
		t.Errorf("a missing key = %d, want 0", got)
	}
	if got := meminfo(filepath.Join(t.TempDir(), "none"), "MemAvailable:"); got != 0 {
		t.Errorf("a missing file = %d, want 0", got)
	}
}
