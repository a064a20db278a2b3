package bench

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// TestTinyRun runs the tiny configuration for 2 timed steps with every
// section and checks the figures are present and plausible.
func TestTinyRun(t *testing.T) {
	c, err := Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	res, err := Run(context.Background(), c, Options{Steps: 2, GEMMSize: 256, OnStep: func(int) { steps++ }})
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
	} else {
		// Each storage measured, and the narrower ones are smaller: int8
		// codes plus row scales under half of bfloat16, itself under float32
		// (the adapters, float32 in all three, keep the ratios above ¼, ½).
		var prev float64
		for _, st := range GenerateStorages {
			s := g.ByStorage[st.Name]
			if s == nil || s.TokensPerS <= 0 || s.PrefillMS <= 0 || s.WeightsMB <= 0 {
				t.Fatalf("generation with %s weights: %+v", st.Name, s)
			}
			if prev > 0 && s.WeightsMB >= 0.8*prev {
				t.Errorf("%s weights take %.2f MB, not much under the previous storage's %.2f", st.Name, s.WeightsMB, prev)
			}
			prev = s.WeightsMB
		}
	}
	if d := res.Dataset; d == nil || d.Rows != datasetRows || d.ParquetRowsPerS <= 0 || d.JSONLRowsPerS <= 0 {
		t.Errorf("dataset %+v", d)
	}
	if res.Tokenizer == nil {
		t.Logf("tokenizer section skipped: %v", res.Notes)
	} else if res.Tokenizer.TokensPerS <= 0 || res.Tokenizer.Tokens < res.Tokenizer.Bytes/10 {
		t.Errorf("tokenizer %+v", res.Tokenizer)
	}
	checkRooflineAndEstimate(t, c, res)
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

// checkRooflineAndEstimate: the roofline fraction and the estimate ratio
// are computed from the figures beside them and reach the JSON.
func checkRooflineAndEstimate(t *testing.T, c Config, res Result) {
	t.Helper()
	mc, err := c.ModelConfig()
	if err != nil {
		t.Fatal(err)
	}
	rl := res.Roofline
	if rl == nil {
		t.Fatal("no roofline section")
	}
	if rl.GEMMSize != 256 || rl.GEMMGFLOPS <= 0 || rl.GEMMRuns < 1 {
		t.Errorf("roofline GEMM %+v", rl)
	}
	if want := CountStepFLOPs(c, mc, res.Train.GradientCheckpointing); rl.StepFLOPs != want {
		t.Errorf("step FLOPs %+v, want %+v", rl.StepFLOPs, want)
	}
	if want := rl.Fraction * (rl.StepFLOPs.Total + rl.StepFLOPs.Recomputed) / rl.StepFLOPs.Total; math.Abs(rl.ExecutedFraction-want) > 1e-9*want {
		t.Errorf("executed fraction %g, want %g", rl.ExecutedFraction, want)
	}
	wantRate := rl.StepFLOPs.Total / (res.Train.MedianStepMS / 1000) / 1e9
	if math.Abs(rl.StepGFLOPS-wantRate) > 1e-9*wantRate || math.Abs(rl.Fraction-rl.StepGFLOPS/rl.GEMMGFLOPS) > 1e-12 || rl.Fraction <= 0 {
		t.Errorf("step %g GFLOP/s (want %g), fraction %g of %g", rl.StepGFLOPS, wantRate, rl.Fraction, rl.GEMMGFLOPS)
	}
	e := res.Estimate
	if e == nil {
		t.Fatal("no estimate section")
	}
	if e.EstimateMB <= 0 || e.PeakRSSMB != res.PeakRSSMB || math.Abs(e.Ratio-e.EstimateMB/e.PeakRSSMB) > 1e-12 {
		t.Errorf("estimate %+v against peak %g", e, res.PeakRSSMB)
	}
	if e.EstimateMB != mib(e.Breakdown.Total) || e.Checkpointing == "" || res.Train.GradientCheckpointing {
		t.Errorf("estimate %+v, checkpointing %v (tiny fits anywhere: off)", e, res.Train.GradientCheckpointing)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Roofline map[string]any `json:"roofline"`
		Estimate map[string]any `json:"estimate"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"gemm_gflops", "step_gflops", "fraction", "executed_fraction", "step_flops"} {
		if _, ok := got.Roofline[k]; !ok {
			t.Errorf("JSON roofline has no %q: %v", k, got.Roofline)
		}
	}
	for _, k := range []string{"estimate_mb", "peak_rss_mb", "ratio", "checkpointing"} {
		if _, ok := got.Estimate[k]; !ok {
			t.Errorf("JSON estimate has no %q: %v", k, got.Estimate)
		}
	}
}

// TestChooseCheckpointing: off while the estimate fits, on when it does
// not (as the default preset's memory check decides), on when forced.
func TestChooseCheckpointing(t *testing.T) {
	c, err := Lookup("gemma3-1b")
	if err != nil {
		t.Fatal(err)
	}
	mc, err := c.ModelConfig()
	if err != nil {
		t.Fatal(err)
	}
	on, est, why, err := chooseCheckpointing(c, mc, false, 1<<30)
	if err != nil || on || !strings.HasPrefix(why, "off") || est.Total <= 0 {
		t.Errorf("plenty of memory: %v %q %v", on, why, err)
	}
	off := est
	on, est, why, err = chooseCheckpointing(c, mc, false, mib(off.Total)-1)
	if err != nil || !on || !strings.HasPrefix(why, "on") || est.Total >= off.Total {
		t.Errorf("too little memory: %v %q (estimate %d vs %d without) %v", on, why, est.Total, off.Total, err)
	}
	if on, _, why, err = chooseCheckpointing(c, mc, true, 1<<30); err != nil || !on || !strings.Contains(why, "--grad-checkpoint") {
		t.Errorf("forced: %v %q %v", on, why, err)
	}
}

// TestNarrowConfigGeneratesNarrowStoragesOnly checks that a config trained
// with bfloat16 weights (gemma3-4b's storage) measures generation with its
// own weights and the narrower int8 ones, never with a float32 copy that a
// 16 GB machine could not hold beside them.
func TestNarrowConfigGeneratesNarrowStoragesOnly(t *testing.T) {
	c, err := Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	c.Storage = "bfloat16"
	backend, _, err := accel.Open(accel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := measureGenerate(context.Background(), c, backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.ByStorage) != 2 || g.ByStorage["bfloat16"] == nil || g.ByStorage["int8"] == nil {
		t.Fatalf("storages measured: %v, want bfloat16 and int8", slices.Sorted(maps.Keys(g.ByStorage)))
	}
	bf, i8 := g.ByStorage["bfloat16"], g.ByStorage["int8"]
	if bf.TokensPerS != g.TokensPerS {
		t.Errorf("bfloat16 entry %g tokens/s is not the trained model's %g", bf.TokensPerS, g.TokensPerS)
	}
	// The trained model itself holds bfloat16 weights: its store is the
	// size of a model built in bfloat16, not float32.
	want, err := newModelStored(c, backend, dtypes.BFloat16)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	if got, w := bf.WeightsMB, mib(want.Store().ByteSize()); got != w {
		t.Errorf("trained model's weights %.3f MiB, a bfloat16 model's %.3f", got, w)
	}
	if i8.WeightsMB >= bf.WeightsMB || i8.TokensPerS <= 0 {
		t.Errorf("int8 generation %+v against bfloat16 %+v", i8, bf)
	}
}
