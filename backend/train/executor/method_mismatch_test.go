package executor

import (
	"strings"
	"testing"
	"time"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
)

// A method the data cannot train fails the run at once, before the model
// is loaded, with what to change: DPO and ORPO on chat rows, SFT and
// continued pretraining on preference pairs.
func TestMethodDataMismatchFailsWithTheFix(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		method, data string
		want         []string
	}{
		{runconfig.MethodDPO, f.data, []string{"training.method dpo trains on preference pairs", "reads as sharegpt rows without chosen and rejected answers",
			"dataset.format to preference", "training.method sft"}},
		{runconfig.MethodORPO, f.data, []string{"training.method orpo trains on preference pairs"}},
		{runconfig.MethodSFT, f.files.PairsPath, []string{"training.method sft cannot train on preference pairs, and ", " holds them (chosen and rejected answers): set training.method to dpo or orpo"}},
		{runconfig.MethodCPT, f.files.PairsPath, []string{"training.method cpt cannot train on preference pairs"}},
	} {
		cfg := f.config(2)
		cfg.Training.Method, cfg.Dataset.Path = c.method, c.data
		start := time.Now()
		rec := runQueued(t, f, Env{}, cfg, "")
		if rec.State != runs.Failed {
			t.Errorf("%s on %s: run ended %s", c.method, c.data, rec.State)
			continue
		}
		for _, want := range c.want {
			if !strings.Contains(rec.Error, want) {
				t.Errorf("%s on %s: the error %q lacks %q", c.method, c.data, rec.Error, want)
			}
		}
		if rec.Step != 0 {
			t.Errorf("%s on %s: failed at step %d, not before training", c.method, c.data, rec.Step)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s on %s: took %s to refuse", c.method, c.data, d)
		}
	}
}
