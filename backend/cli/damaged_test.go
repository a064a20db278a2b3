package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/runs"
)

// A damaged state.json and a cut-off metrics line block neither `runs`
// nor `runs show`.
func TestRunsListsAndShowsDamagedRuns(t *testing.T) {
	ws := t.TempDir()
	store, err := runs.Open(filepath.Join(ws, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := buildRunConfig(newFlagSet(&Env{Stderr: &bytes.Buffer{}}, "t", ""), "", "", nil)
	cfg.Model.Source, cfg.Dataset.Path = "org/model", "org/data"
	good, _ := store.Create(cfg)
	bad, _ := store.Create(cfg)
	os.WriteFile(filepath.Join(store.Dir(bad.ID), "state.json"), []byte(`{"state":"pau`), 0o644)
	os.WriteFile(store.MetricsPath(good.ID), []byte("{\"step\":1,\"loss\":2}\n{\"step\":2,\"lo\n{\"step\":3,\"loss\":1}\n"), 0o644)

	out, err := runCLI(t, ws, "runs")
	if err != nil || !strings.Contains(out, good.ID) || !strings.Contains(out, "run "+bad.ID+" is damaged: state.json is not a readable run record") {
		t.Fatalf("runs: %v\n%s", err, out)
	}
	out, err = runCLI(t, ws, "runs", "show", bad.ID)
	if err != nil || !strings.Contains(out, "damaged: state.json") || !strings.Contains(out, "whetstone runs delete "+bad.ID) {
		t.Fatalf("runs show damaged: %v\n%s", err, out)
	}
	out, err = runCLI(t, ws, "runs", "show", good.ID)
	if err != nil || !strings.Contains(out, "metrics.jsonl: 1 unreadable lines skipped (line 2:") || !strings.Contains(out, "-> 1.0000 (step 3)") {
		t.Fatalf("runs show with a cut metrics line: %v\n%s", err, out)
	}
	if _, err := runCLI(t, ws, "runs", "delete", bad.ID); err != nil {
		t.Fatalf("delete damaged: %v", err)
	}
}
