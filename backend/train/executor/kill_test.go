//go:build unix

package executor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// The child half of TestKill9ThenResume: it trains the run named by the
// environment and SIGKILLs itself right after step 6, with no chance to
// clean up, as an out-of-memory kill or a power cut would.
func init() {
	root, id := os.Getenv("WHETSTONE_KILL_ROOT"), os.Getenv("WHETSTONE_KILL_RUN")
	if root == "" || id == "" {
		return
	}
	store, err := runs.Open(root)
	if err != nil {
		os.Exit(3)
	}
	q, err := runs.NewQueue(store, New(Env{AfterStep: func(job *runs.Job, step int) error {
		if step == 6 {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	}}), nil)
	if err != nil {
		os.Exit(3)
	}
	q.Start(context.Background())
	q.Wait(context.Background(), id)
	os.Exit(4) // not reached: the kill comes first
}

func TestKill9ThenResume(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(8)
	rec, err := f.store.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "WHETSTONE_KILL_ROOT="+f.store.Root(), "WHETSTONE_KILL_RUN="+rec.ID)
	out, err := cmd.CombinedOutput()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
	}

	// A fresh store sees a consistent, resumable run.
	store, _ := runs.Open(f.store.Root())
	got, err := store.Get(rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != runs.Interrupted || !got.State.Resumable() || got.Step != 6 || got.LastCheckpoint != 5 {
		t.Fatalf("after kill -9: %+v", got)
	}
	if steps, _ := train.Checkpoints(store.CheckpointsDir(rec.ID)); len(steps) == 0 || steps[0] != 5 {
		t.Fatalf("checkpoints after kill -9: %v", steps)
	} else if err := train.VerifyCheckpoint(filepath.Join(store.CheckpointsDir(rec.ID), "5")); err != nil {
		t.Fatal(err)
	}

	// Damage it further, as a disk or a hand edit might: a cut-off line in
	// the middle of metrics.jsonl and a truncated state.json. The run is
	// listed as damaged, resumable from its checkpoint at step 5.
	metrics, _ := os.ReadFile(store.MetricsPath(rec.ID))
	lines := strings.SplitAfter(string(metrics), "\n")
	lines[2] = lines[2][:len(lines[2])/2] + "\n" + lines[2]
	os.WriteFile(store.MetricsPath(rec.ID), []byte(strings.Join(lines, "")), 0o644)
	state, _ := os.ReadFile(filepath.Join(store.Dir(rec.ID), "state.json"))
	os.WriteFile(filepath.Join(store.Dir(rec.ID), "state.json"), state[:len(state)/2], 0o644)
	if rep, err := store.ReadMetrics(rec.ID); err != nil || rep.Skipped != 1 || len(rep.Metrics) != 6 {
		t.Fatalf("metrics with a cut-off line: %+v, %v", rep, err)
	}
	if got, err := store.Get(rec.ID); err != nil || got.State != runs.Damaged || !got.CanResume() || got.Damage.ResumeStep != 5 {
		t.Fatalf("with a truncated state.json: %+v, %v", got, err)
	}

	q, _ := runs.NewQueue(store, New(Env{}), nil, runs.WithoutRestore())
	ctx := context.Background()
	q.Start(ctx)
	defer q.Close()
	if err := q.Resume(rec.ID, 0); err != nil {
		t.Fatal(err)
	}
	q.Wait(ctx, rec.ID)
	final, _ := store.Get(rec.ID)
	ms, _ := store.Metrics(rec.ID)
	if final.State != runs.Completed || len(ms) != 8 {
		t.Fatalf("resumed run: %+v with %d metric lines", final, len(ms))
	}
	for i, m := range ms {
		if m.Step != i+1 {
			t.Fatalf("metrics steps %v are not 1..8 once each", ms)
		}
	}
	if rep, _ := store.ReadMetrics(rec.ID); rep.Skipped != 0 {
		t.Errorf("the cut-off line is still there: %+v", rep)
	}
	if _, err := os.Stat(filepath.Join(store.AdapterDir(rec.ID), "adapter_model.safetensors")); err != nil {
		t.Error(err)
	}
}
