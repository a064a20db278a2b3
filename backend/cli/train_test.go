package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
)

func runCLI(t *testing.T, ws string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string {
		if k == "HF_HUB_OFFLINE" {
			return "1"
		}
		return ""
	}}
	err := Run(context.Background(), env, append(args, "--workspace", ws))
	return out.String(), err
}

func TestTrainPrintShowsTheEffectiveConfig(t *testing.T) {
	ws := t.TempDir()
	cfgPath := filepath.Join(ws, "run.yaml")
	os.WriteFile(cfgPath, []byte("model:\n  source: m\ndataset:\n  path: d.jsonl\ntraining:\n  max_steps: 7\n"), 0o644)
	out, err := runCLI(t, ws, "train", "--print", "--config", cfgPath, "--lr", "1e-3", "--set", "training.scheduler=cosine")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"max_steps: 7", "learning_rate: 0.001", "scheduler: cosine", "# whetstone train --model m --data d.jsonl --max-steps 7 --lr 0.001"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, err = runCLI(t, ws, "train", "--model", "m", "--data", "d", "--rank", "0")
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "lora.r") {
		t.Errorf("invalid rank: %v", err)
	}
	_, err = runCLI(t, ws, "train", "--model", "m", "--data", "d", "--set", "training.nope=1")
	if !errors.Is(err, ErrUsage) {
		t.Errorf("unknown --set field: %v", err)
	}
}

// TestTrainRunsHeadlessAndRunsLists trains the demo model for a few steps
// through `whetstone train`, then lists, shows, duplicates and deletes the
// run with `whetstone runs`.
func TestTrainRunsHeadlessAndRunsLists(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, ws, "train", "--model", files.ModelDir, "--data", files.DataPath, "--max-steps", "4",
		"--set", "training.max_seq_len=128", "--set", "training.grad_accum=1", "--set", "checkpoint.every=2", "--set", "name=cli-test")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"] 4/4  loss", "done: 4 steps", "adapter: ", "whetstone export --run"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "runs")); err != nil {
		t.Fatal(err)
	}

	out, err = runCLI(t, ws, "runs")
	if err != nil || !strings.Contains(out, "completed") || !strings.Contains(out, "4/4") || !strings.Contains(out, "cli-test") {
		t.Fatalf("runs list: %v\n%s", err, out)
	}
	out, err = runCLI(t, ws, "runs", "--json")
	var list []runs.Record
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("runs --json: %v\n%s", err, out)
	}
	id := list[0].ID
	out, err = runCLI(t, ws, "runs", "show", id)
	if err != nil || !strings.Contains(out, "as a command: whetstone train") || !strings.Contains(out, "loss ") {
		t.Errorf("runs show: %v\n%s", err, out)
	}
	// --yaml prints the config itself, which train --config reads back.
	out, err = runCLI(t, ws, "runs", "show", id, "--yaml")
	if err != nil || !strings.HasPrefix(out, "name: cli-test\n") || !strings.Contains(out, "max_steps: 4") {
		t.Errorf("runs show --yaml: %v\n%s", err, out)
	}
	yamlPath := filepath.Join(t.TempDir(), "again.yaml")
	os.WriteFile(yamlPath, []byte(out), 0o644)
	if out, err := runCLI(t, ws, "train", "--print", "--config", yamlPath); err != nil || !strings.Contains(out, "max_steps: 4") {
		t.Errorf("train --config with runs show --yaml output: %v\n%s", err, out)
	}
	if _, err := runCLI(t, ws, "train", "--resume", id); err == nil {
		t.Error("a completed run was resumed")
	}
	out, err = runCLI(t, ws, "runs", "duplicate", id)
	if err != nil || !strings.Contains(out, "queued") {
		t.Fatalf("duplicate: %v\n%s", err, out)
	}
	dupID := strings.Fields(out)[2]
	if out, err := runCLI(t, ws, "train", "--resume", dupID); err != nil || !strings.Contains(out, "done: 4 steps") {
		t.Errorf("starting the duplicate: %v\n%s", err, out)
	}
	out, err = runCLI(t, ws, "runs", "delete", id)
	if err != nil {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if out, _ := runCLI(t, ws, "runs"); strings.Contains(out, id) {
		t.Errorf("deleted run still listed:\n%s", out)
	}
}

func TestDemoTrainsOffline(t *testing.T) {
	ws := t.TempDir()
	out, err := runCLI(t, ws, "demo", "--steps", "3")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"Gemma 3 architecture", fmt.Sprintf("%d conversations", demo.Conversations()), "same as: whetstone train", "] 3/3  loss", "done: 3 steps", "asking both models", "tuned: "} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// TestInterruptPausesWithACheckpoint is what Ctrl-C does to `whetstone
// train`: the context ends mid-run, the run writes a checkpoint and stops
// as paused, and --resume finishes it.
func TestInterruptPausesWithACheckpoint(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := demo.RunConfig(files)
	cfg.Training.MaxSteps, cfg.Training.GradAccum, cfg.Training.MaxSeqLen = 6, 1, 128
	cfgPath := filepath.Join(t.TempDir(), "run.yaml")
	if err := cfg.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	// The signal arrives once step 2 is reported, as the terminal sees it.
	atStep2 := events.Func(func(topic string, payload any) {
		if ev, ok := payload.(service.RunMetricsEvent); ok && ev.Metrics.Step == 2 {
			cancel()
		}
	})
	if err := trainWith(ctx, env, []string{"--config", cfgPath, "--workspace", ws}, atStep2); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v\n%s", err, out.String())
	}
	store, _ := runs.Open(filepath.Join(ws, "runs"))
	list, _ := store.List()
	if len(list) != 1 || list[0].State != runs.Paused || list[0].LastCheckpoint < 2 {
		t.Fatalf("after interrupt: %+v\n%s", list, out.String())
	}
	if !strings.Contains(out.String(), "whetstone train --resume "+list[0].ID) {
		t.Errorf("no resume hint:\n%s", out.String())
	}
	out.Reset()
	// The run is named by the start of its id, as a user types it.
	if err := trainWith(context.Background(), env, []string{"--resume", list[0].ID[:18], "--workspace", ws}, nil); err != nil {
		t.Fatalf("resume: %v\n%s", err, out.String())
	}
	if ms, _ := store.Metrics(list[0].ID); len(ms) != 6 || ms[5].Step != 6 {
		t.Errorf("metrics after resume: %d lines", len(ms))
	}
}

// A broken model folder or a missing data file stops `train` before a run
// is created: one clear error, nothing added to the runs list.
func TestTrainPreflightRejectsBadPathsWithoutCreatingARun(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(t.TempDir(), "demo"))
	if err != nil {
		t.Fatal(err)
	}
	copyModel := func(name string, skip string) string {
		dir := filepath.Join(t.TempDir(), name)
		os.MkdirAll(dir, 0o755)
		entries, _ := os.ReadDir(files.ModelDir)
		for _, e := range entries {
			if e.Name() == skip {
				continue
			}
			b, _ := os.ReadFile(filepath.Join(files.ModelDir, e.Name()))
			os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
		}
		return dir
	}
	noTokenizer := copyModel("notok", "tokenizer.json")
	truncated := copyModel("trunc", "")
	b, _ := os.ReadFile(filepath.Join(truncated, "config.json"))
	os.WriteFile(filepath.Join(truncated, "config.json"), b[:len(b)/2], 0o644)
	noConfig := copyModel("nocfg", "config.json")
	for _, c := range []struct {
		model, data, want string
	}{
		{noTokenizer, files.DataPath, "has no tokenizer"},
		{truncated, files.DataPath, "config.json is not valid JSON"},
		{noConfig, files.DataPath, "no readable config.json"},
		{filepath.Join(files.ModelDir, "config.json"), files.DataPath, "is a file"},
		{filepath.Join(t.TempDir(), "missing"), files.DataPath, "no such file"},
		{files.ModelDir, "missing-chats.jsonl", "dataset.path: missing-chats.jsonl"},
	} {
		out, err := runCLI(t, ws, "train", "--model", c.model, "--data", c.data, "--max-steps", "1")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("model %s, data %s: want an error with %q, got %v\n%s", c.model, c.data, c.want, err, out)
		}
	}
	store, _ := runs.Open(filepath.Join(ws, "runs"))
	if list, _ := store.List(); len(list) != 0 {
		t.Errorf("bad paths left %d runs in the list", len(list))
	}
}

// Deleting a run that another process is training says how to stop it
// from a terminal (there is no cancel command; Ctrl-C pauses it).
func TestRunsDeleteRunningSaysHowToStopIt(t *testing.T) {
	ws := t.TempDir()
	store, err := runs.Open(filepath.Join(ws, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := buildRunConfig(newFlagSet(&Env{Stderr: &bytes.Buffer{}}, "t", ""), "", "", nil)
	cfg.Model.Source, cfg.Dataset.Path = "org/model", "org/data"
	// A queue in this test's process stands in for the trainer: it holds
	// the run's lock until the test ends.
	started, stop := make(chan struct{}), make(chan struct{})
	q, err := runs.NewQueue(store, func(ctx context.Context, job *runs.Job) error {
		close(started)
		<-stop
		return runs.ErrPaused
	}, nil, runs.WithoutRestore())
	if err != nil {
		t.Fatal(err)
	}
	q.Start(context.Background())
	defer q.Close()
	defer close(stop)
	rec, err := q.Submit(cfg)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	_, err = runCLI(t, ws, "runs", "delete", rec.ID)
	if err == nil || !strings.Contains(err.Error(), "Ctrl-C") || !strings.Contains(err.Error(), "kill -INT") {
		t.Fatalf("delete of a running run: %v", err)
	}
	if _, err := store.Get(rec.ID); err != nil {
		t.Fatalf("the running run is gone: %v", err)
	}
}

func TestDemoRejectsNegativeSteps(t *testing.T) {
	ws := t.TempDir()
	if _, err := runCLI(t, ws, "demo", "--steps", "-1"); !errors.Is(err, ErrUsage) {
		t.Fatalf("demo --steps -1: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(ws, "runs")); len(entries) != 0 {
		t.Errorf("a rejected demo created %d runs", len(entries))
	}
}
