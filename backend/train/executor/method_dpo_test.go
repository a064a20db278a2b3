package executor

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// dpoConfig is a short DPO run on the demo's preference set
// ({prompt, chosen, rejected} JSONL): 4 pairs a micro-batch, a validation
// split of 4 of its 39 pairs measured every 4 steps, checkpoints every 3 steps.
func (f fixture) dpoConfig(steps int) runconfig.Config {
	c := f.config(steps)
	c.Dataset.Path = f.files.PairsPath
	c.Training.Method = runconfig.MethodDPO
	c.Training.BatchSize, c.Training.GradAccum = 4, 1
	c.Training.EvalEvery = 4
	c.Checkpoint.Every = 3
	return c
}

// A DPO run goes through the queue and the executor like any run: the
// pairs are read, labeled and batched as pairs, the log says what it
// optimises, each step records TRL's reward figures, the preference is
// learned, and the adapter is saved.
func TestDPORunsThroughTheQueue(t *testing.T) {
	f := newFixture(t)
	rec := runQueued(t, f, Env{}, f.dpoConfig(12), "")
	log, _ := os.ReadFile(f.store.LogPath(rec.ID))
	if rec.State != runs.Completed {
		t.Fatalf("run ended %s: %s\n%s", rec.State, rec.Error, log)
	}
	for _, want := range []string{"method: DPO (sigmoid loss, beta 0.1", "data: 35 training and 4 validation examples (39 rows read"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	ms, err := f.store.Metrics(rec.ID)
	if err != nil || len(ms) != 12 {
		t.Fatalf("%d metrics: %v", len(ms), err)
	}
	for _, m := range ms {
		for _, info := range train.Metrics()[runconfig.MethodDPO] {
			if _, ok := m.Extra[info.Name]; !ok {
				t.Fatalf("step %d has no %s: %v", m.Step, info.Name, m.Extra)
			}
		}
	}
	first, last := ms[0].Extra, ms[len(ms)-1].Extra
	t.Logf("loss %.4f -> %.4f, margin %.3f -> %.3f, accuracy %.2f -> %.2f", ms[0].Loss, ms[11].Loss,
		first[train.MetricRewardMargin], last[train.MetricRewardMargin], first[train.MetricRewardAccuracy], last[train.MetricRewardAccuracy])
	// At step 1 the adapters' B matrices are zero: the model is its own
	// reference, every reward 0 and the loss log 2.
	if math.Abs(ms[0].Loss-math.Ln2) > 1e-4 || first[train.MetricRewardMargin] != 0 {
		t.Errorf("step 1: loss %v, margin %v; want log 2 and 0", ms[0].Loss, first[train.MetricRewardMargin])
	}
	if last[train.MetricRewardAccuracy] <= 0.9 || last[train.MetricRewardMargin] < 0.5 {
		t.Errorf("the preference was not learned: accuracy %v, margin %v at the end", last[train.MetricRewardAccuracy], last[train.MetricRewardMargin])
	}
	if rec.ValLoss == nil || ms[len(ms)-1].ValLoss == nil {
		t.Errorf("no validation loss on the held-out pairs")
	}
	if _, err := os.Stat(f.store.AdapterDir(rec.ID) + "/adapter_model.safetensors"); err != nil {
		t.Error(err)
	}
}

// A DPO run that crashes after a checkpoint and is resumed records the
// same losses and reward figures, step for step, as one that never
// stopped: the pairs' order, the adapters, the optimiser state and the
// reference (the base model, never trained) all come back.
func TestDPOResumeEqualsAnUninterruptedRun(t *testing.T) {
	f := newFixture(t)
	cfg := f.dpoConfig(8)
	cfg.LoRA.Dropout = 0.05
	full := runQueued(t, f, Env{}, cfg, "")
	crash := Env{AfterStep: func(job *runs.Job, step int) error {
		if step == 5 && !job.Resume {
			return fmt.Errorf("simulated crash at step %d", step)
		}
		return nil
	}}
	crashed := runQueued(t, f, crash, cfg, "")
	if crashed.State != runs.Failed || crashed.LastCheckpoint != 3 {
		t.Fatalf("crashed run: %+v", crashed)
	}
	resumed := runQueued(t, f, crash, cfg, crashed.ID)
	if full.State != runs.Completed || resumed.State != runs.Completed {
		t.Fatalf("runs ended %s and %s: %s %s", full.State, resumed.State, full.Error, resumed.Error)
	}
	want, _ := f.store.Metrics(full.ID)
	got, _ := f.store.Metrics(resumed.ID)
	if len(got) != len(want) || len(want) != 8 {
		t.Fatalf("%d metrics after resume, %d uninterrupted", len(got), len(want))
	}
	for i := range want {
		if got[i].Step != want[i].Step || math.Abs(got[i].Loss-want[i].Loss) > 1e-6 {
			t.Errorf("step %d: loss %.8f after resume, %.8f uninterrupted", want[i].Step, got[i].Loss, want[i].Loss)
		}
		if len(got[i].Extra) != len(want[i].Extra) || len(want[i].Extra) == 0 {
			t.Fatalf("step %d: figures %v after resume, %v uninterrupted", want[i].Step, got[i].Extra, want[i].Extra)
		}
		for name, w := range want[i].Extra {
			if g := got[i].Extra[name]; math.Abs(g-w) > 1e-5 {
				t.Errorf("step %d: %s %.8f after resume, %.8f uninterrupted", want[i].Step, name, g, w)
			}
		}
	}
	g, w := got[len(got)-1].ValLoss, want[len(want)-1].ValLoss
	if g == nil || w == nil || math.Abs(*g-*w) > 1e-6 {
		t.Errorf("final validation loss %v after resume, %v uninterrupted", g, w)
	}
}
