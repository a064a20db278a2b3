package cli

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/demo"
)

// TestRunReferences: every command that takes a run takes its name or a
// unique start of its id as well as the id, and refuses a reference that
// fits several runs, listing them.
func TestRunReferences(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, ws, "train", "--model", files.ModelDir, "--data", files.DataPath, "--max-steps", "2",
		"--set", "training.max_seq_len=64", "--set", "training.grad_accum=1", "--set", "name=ref-a")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	first := onlyRunID(t, ws)

	// By name, while one run has it.
	if out, err := runCLI(t, ws, "runs", "show", "ref-a"); err != nil || !strings.Contains(out, "run "+first) {
		t.Errorf("runs show ref-a: %v\n%s", err, out)
	}
	if out, err := runCLI(t, ws, "export", "--run", "ref-a", "--format", "peft", "--out", filepath.Join(ws, "by-name")); err != nil {
		t.Errorf("export --run ref-a: %v\n%s", err, out)
	}
	if out, err := runCLI(t, ws, "chat", "--run", "ref-a", "--prompt", "Hi", "--max-new-tokens", "2"); err != nil {
		t.Errorf("chat --run ref-a: %v\n%s", err, out)
	}

	// A copy shares the name; its id differs from the first's at the end.
	out, err = runCLI(t, ws, "runs", "duplicate", first[:len(first)-2])
	if err != nil || !strings.Contains(out, "created run ") {
		t.Fatalf("runs duplicate by prefix: %v\n%s", err, out)
	}
	second := strings.Fields(strings.TrimPrefix(out, "created run "))[0]
	common := 0
	for common < len(first) && first[common] == second[common] {
		common++
	}
	uniqueFirst, uniqueSecond, shared := first[:common+1], second[:common+1], first[:common]

	for _, args := range [][]string{
		{"runs", "show", "ref-a"},
		{"runs", "show", shared},
		{"runs", "delete", shared},
		{"runs", "duplicate", "ref-a"},
		{"export", "--run", shared, "--format", "peft", "--out", filepath.Join(ws, "ambiguous")},
		{"chat", "--run", "ref-a", "--prompt", "Hi"},
		{"train", "--resume", shared},
	} {
		_, err := runCLI(t, ws, args...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "ambiguous") ||
			!strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), second) {
			t.Errorf("%v: %v, want a usage error naming both runs", args, err)
		}
	}

	if out, err := runCLI(t, ws, "runs", "show", uniqueSecond); err != nil || !strings.Contains(out, "run "+second+"  queued") {
		t.Errorf("runs show %s: %v\n%s", uniqueSecond, err, out)
	}
	if out, err := runCLI(t, ws, "export", "--run", uniqueFirst, "--format", "peft", "--out", filepath.Join(ws, "by-prefix")); err != nil {
		t.Errorf("export --run %s: %v\n%s", uniqueFirst, err, out)
	}
	if out, err := runCLI(t, ws, "chat", "--run", uniqueFirst, "--prompt", "Hi", "--max-new-tokens", "2"); err != nil {
		t.Errorf("chat --run %s: %v\n%s", uniqueFirst, err, out)
	}
	if out, err := runCLI(t, ws, "runs", "show", "nope"); err == nil || !strings.Contains(err.Error(), `no run is called or has an id starting with "nope"`) {
		t.Errorf("runs show nope: %v\n%s", err, out)
	}
	if out, err := runCLI(t, ws, "runs", "delete", uniqueSecond); err != nil || !strings.Contains(out, "deleted run "+second) {
		t.Errorf("runs delete %s: %v\n%s", uniqueSecond, err, out)
	}
	// One run is left with the name: the name resolves again.
	if out, err := runCLI(t, ws, "runs", "show", "ref-a"); err != nil || !strings.Contains(out, "run "+first) {
		t.Errorf("runs show ref-a after the delete: %v\n%s", err, out)
	}
}

// onlyRunID is the id of the workspace's one run.
func onlyRunID(t *testing.T, ws string) string {
	t.Helper()
	out, err := runCLI(t, ws, "runs")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one run:\n%s", out)
	}
	return strings.Fields(lines[1])[0]
}
