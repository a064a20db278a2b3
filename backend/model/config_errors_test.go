package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config.json cut off by an interrupted copy or download is named as such,
// and a folder without one is "not a model folder", not a bare open error.
func TestLoadConfigSaysWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err == nil || !strings.Contains(err.Error(), "is not a model folder") {
		t.Fatalf("missing config.json: err = %v", err)
	}
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, []byte(`{"model_type": "gemma3_text", "hidden_size": `), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "is cut off") || !strings.Contains(err.Error(), p) {
		t.Fatalf("truncated config.json: err = %v", err)
	}
	if err := os.WriteFile(p, []byte(`{"model_type": gemma}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("invalid config.json: err = %v", err)
	}
}
