package bench

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"
)

// TestTinyRun runs the tiny configuration for 2 timed steps with every
// section and checks the figures are present and plausible.
func TestTinyRun(t *testing.T) {
	c, err := Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	res, err := Run(context.Background(), c, Options{Steps: 2, OnStep: func(int) { steps++ }})
	if err != nil {
		t.Fatal(err)
	}
	if steps != 3 {
		t.Errorf("OnStep called %d times, want 3 (1 compiling + 2 timed)", steps)
	}
	if res.Schema != Schema || res.Config.Name != "tiny" {
		t.Errorf("schema %q config %q", res.Schema, res.Config.Name)
	}
	tr := res.Train
	if tr.Steps != 2 || len(tr.Losses) != 3 {
		t.Errorf("train steps %d losses %d, want 2 and 3", tr.Steps, len(tr.Losses))
	}
	for i, l := range tr.Losses {
		// Random tokens over a 512 vocabulary: the loss starts near ln 512.
		if math.IsNaN(l) || l < 0.5*math.Log(512) || l > 2*math.Log(512) {
			t.Errorf("loss[%d] = %g, want near ln(512) = %.2f", i, l, math.Log(512))
		}
	}
	if res.TokensPerS != tr.TokensPerS || tr.TokensPerS <= 0 || math.IsInf(tr.TokensPerS, 0) {
		t.Errorf("tokens/s %g (train %g)", res.TokensPerS, tr.TokensPerS)
	}
	if got := float64(c.TokensPerStep()) / (tr.MedianStepMS / 1000); math.Abs(got-tr.TokensPerS) > 1e-6*got {
		t.Errorf("tokens/s %g disagrees with median step %g ms", tr.TokensPerS, tr.MedianStepMS)
	}
	if tr.MinStepMS > tr.MedianStepMS || tr.FirstStepS <= 0 {
		t.Errorf("min step %g ms, median %g ms, first %g s", tr.MinStepMS, tr.MedianStepMS, tr.FirstStepS)
	}
	if res.PeakRSSMB < 10 || res.PeakRSSMB > 4096 {
		t.Errorf("peak RSS %g MiB is implausible for the tiny config", res.PeakRSSMB)
	}
	// tiny: 7 adapted projections per layer, rank 8, 2 layers.
	wantLoRA := int64(2 * 8 * ((64 + 64) + (64 + 32) + (64 + 32) + (64 + 64) + 3*(64+128)))
	if tr.TrainableParams != wantLoRA {
		t.Errorf("trainable params %d, want %d", tr.TrainableParams, wantLoRA)
	}
	if g := res.Generate; g == nil || g.NewTokens != genNew || g.TokensPerS <= 0 || g.PrefillMS <= 0 {
		t.Errorf("generation %+v", g)
	}
	if d := res.Dataset; d == nil || d.Rows != datasetRows || d.ParquetRowsPerS <= 0 || d.JSONLRowsPerS <= 0 {
		t.Errorf("dataset %+v", d)
	}
	if res.Tokenizer == nil {
		t.Logf("tokenizer section skipped: %v", res.Notes)
	} else if res.Tokenizer.TokensPerS <= 0 || res.Tokenizer.Tokens < res.Tokenizer.Bytes/10 {
		t.Errorf("tokenizer %+v", res.Tokenizer)
	}
	m := res.Machine
	if m.Cores <= 0 || m.GoVersion == "" || m.Backend == "" || m.CPU == "" {
		t.Errorf("machine %+v", m)
	}

	// The result survives a round trip through a file, and a bare result
	// (what --json prints for one config) reads as a one-result file.
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := WriteFile(path, []Result{res}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil || len(f.Results) != 1 || f.Results[0].TokensPerS != res.TokensPerS {
		t.Fatalf("read back %+v, %v", f, err)
	}
	single := filepath.Join(t.TempDir(), "one.json")
	data, _ := json.Marshal(res)
	writeTestFile(t, single, data)
	if f, err := ReadFile(single); err != nil || len(f.Results) != 1 || f.Results[0].Config.Name != "tiny" {
		t.Fatalf("single result read as %+v, %v", f, err)
	}
}
