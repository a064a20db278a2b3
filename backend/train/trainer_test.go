package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// patternBatches makes micro-batches of a learnable language: each row
// counts upward modulo a small cycle from a random start, two sequences
// packed per row, with the first few tokens of each sequence masked out
// of the loss (the "prompt").
func patternBatches(n, rows, seq int, seed int64) []Batch {
	var out []Batch
	x := uint64(seed)*2654435761 + 1
	next := func() int { x = x*6364136223846793005 + 1442695040888963407; return int(x >> 33) }
	for i := 0; i < n; i++ {
		b := Batch{Rows: rows, Seq: seq}
		for r := 0; r < rows; r++ {
			half := seq / 2
			for t := 0; t < seq; t++ {
				seg, pos := 1, t
				if t >= half {
					seg, pos = 2, t-half
				}
				if pos == 0 {
					x += uint64(next())
				}
				tok := int32(10 + (int(x%50)+pos)%50)
				label := tok
				if pos < 3 {
					label = -100
				}
				b.Tokens = append(b.Tokens, tok)
				b.Labels = append(b.Labels, label)
				b.Positions = append(b.Positions, int32(pos))
				b.Segments = append(b.Segments, int32(seg))
			}
		}
		out = append(out, b)
	}
	return out
}

func tinyModel(t testing.TB, dropout float64) *model.Model {
	t.Helper()
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewRandom(cfg, 1, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddLoRA(model.LoRAConfig{Rank: 8, Alpha: 16, Dropout: dropout, Seed: 3407}); err != nil {
		t.Fatal(err)
	}
	return m
}

func testTraining(steps int) runconfig.Training {
	tc := runconfig.Default().Training
	tc.LearningRate = 5e-3
	tc.MaxSteps = steps
	tc.WarmupSteps = 2
	tc.BatchSize = 2
	tc.GradAccum = 2
	tc.EvalEvery = 0
	return tc
}

func TestTrainingLowersValidationLossAndFreezesBase(t *testing.T) {
	m := tinyModel(t, 0)
	before, err := m.BaseWeight("model.layers.0.self_attn.q_proj.weight")
	if err != nil {
		t.Fatal(err)
	}
	train, _ := NewBatches(patternBatches(16, 2, 32, 1), 3407, true)
	val, _ := NewBatches(patternBatches(4, 2, 32, 99), 0, false)
	tc := testTraining(12)
	tc.EvalEvery = 4
	var metrics []StepMetrics
	gcPercent := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }
	gcBefore, gcDuring := gcPercent(), 0
	res, err := Run(context.Background(), m.Backend(), ModelTarget(m), train, val, Options{
		Training: tc, Seed: 3407,
		Report: func(mt StepMetrics) error {
			metrics = append(metrics, mt)
			gcDuring = gcPercent()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := trainingGCPercent; os.Getenv("GOGC") == "" && (gcDuring != want || gcPercent() != gcBefore) {
		t.Errorf("GC percent %d during the run (want %d), %d after (was %d)", gcDuring, want, gcPercent(), gcBefore)
	}
	if len(metrics) != 12 || res.Step != 12 {
		t.Fatalf("%d metrics, step %d", len(metrics), res.Step)
	}
	first, last := res.ValLosses[4], res.ValLosses[12]
	t.Logf("losses %v; val %v", res.Losses, res.ValLosses)
	if !(last < first-0.05) {
		t.Errorf("validation loss did not decrease: %v -> %v", first, last)
	}
	if metrics[0].LR != 0 || metrics[2].LR <= metrics[11].LR || metrics[11].TokensPerS <= 0 || metrics[11].RSSMB <= 0 {
		t.Errorf("metrics look wrong: first %+v last %+v", metrics[0], metrics[11])
	}
	after, _ := m.BaseWeight("model.layers.0.self_attn.q_proj.weight")
	if !slices.Equal(before.Data, after.Data) {
		t.Error("a frozen base weight changed during training")
	}
	lora, _ := m.LoRAState()
	nonzero := false
	for _, ht := range lora {
		for _, v := range ht.Data {
			if v != 0 && strings.Contains(ht.Name, "lora_B") {
				nonzero = true
			}
		}
	}
	if !nonzero {
		t.Error("LoRA B matrices are still zero after training")
	}
}

var errCrash = errors.New("simulated crash")

// TestResumeGivesTheSameLosses kills a run after step 5 (a hook returning
// an error, as a crash would), resumes it in a fresh model, and compares
// every loss with an uninterrupted run. Dropout is on so the restored RNG
// state matters too.
func TestResumeGivesTheSameLosses(t *testing.T) {
	batches := patternBatches(6, 2, 32, 7)
	tc := testTraining(9)
	run := func(dir string, resume bool, crashAt int) (Result, error) {
		m := tinyModel(t, 0.1)
		data, _ := NewBatches(batches, 3407, true)
		return Run(context.Background(), m.Backend(), ModelTarget(m), data, nil, Options{
			Training: tc, Seed: 3407, CheckpointDir: dir, CheckpointEvery: 2, CheckpointKeep: 2, Resume: resume,
			AfterStep: func(step int) error {
				if step == crashAt {
					return errCrash
				}
				return nil
			},
		})
	}
	full, err := run(t.TempDir(), false, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := run(dir, false, 5); !errors.Is(err, errCrash) {
		t.Fatalf("crash run: %v", err)
	}
	steps, _ := Checkpoints(dir)
	if !slices.Equal(steps, []int{4, 2}) {
		t.Fatalf("checkpoints after crash = %v, want [4 2] (keep 2)", steps)
	}
	resumed, err := run(dir, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.StartStep != 4 || len(resumed.Losses) != 5 {
		t.Fatalf("resumed from %d with %d losses", resumed.StartStep, len(resumed.Losses))
	}
	for i, l := range resumed.Losses {
		want := full.Losses[4+i]
		if math.Abs(l-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("step %d: resumed loss %.9f, uninterrupted %.9f", 5+i, l, want)
		}
	}
	t.Logf("full %v\nresumed %v", full.Losses, resumed.Losses)
}

func TestCorruptCheckpointFallsBackToThePreviousOne(t *testing.T) {
	batches := patternBatches(4, 2, 32, 3)
	tc := testTraining(6)
	dir := t.TempDir()
	m := tinyModel(t, 0)
	data, _ := NewBatches(batches, 3407, true)
	if _, err := Run(context.Background(), m.Backend(), ModelTarget(m), data, nil, Options{
		Training: tc, Seed: 3407, CheckpointDir: dir, CheckpointEvery: 2,
		AfterStep: func(step int) error {
			if step == 4 {
				return errCrash
			}
			return nil
		},
	}); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	// Flip a byte in the newest checkpoint's adapter, and leave a partial
	// (manifest-less) directory for a later step as a crash mid-write would.
	p := filepath.Join(dir, "4", ckptAdapter)
	raw, _ := os.ReadFile(p)
	raw[len(raw)-3] ^= 0xff
	os.WriteFile(p, raw, 0o644)
	os.MkdirAll(filepath.Join(dir, "6"), 0o755)
	os.WriteFile(filepath.Join(dir, "6", ckptState), []byte(`{"step":6}`), 0o644)
	if err := VerifyCheckpoint(filepath.Join(dir, "4")); err == nil {
		t.Fatal("corrupt checkpoint verified")
	}
	var logs []string
	m2 := tinyModel(t, 0)
	res, err := Run(context.Background(), m2.Backend(), ModelTarget(m2), data, nil, Options{
		Training: tc, Seed: 3407, CheckpointDir: dir, Resume: true,
		Logf: func(f string, a ...any) { logs = append(logs, f) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.StartStep != 2 || res.Step != 6 {
		t.Errorf("resumed from %d to %d, want 2 to 6", res.StartStep, res.Step)
	}
	t.Log(logs)
	if _, err := Run(context.Background(), m2.Backend(), ModelTarget(m2), data, nil, Options{
		Training: tc, Seed: 3407, CheckpointDir: dir, Resume: true, ResumeStep: 3,
	}); err == nil {
		t.Error("resume from a missing step accepted")
	}
}

func TestNonFiniteLossStopsTheRun(t *testing.T) {
	m := tinyModel(t, 0)
	data, _ := NewBatches(patternBatches(2, 2, 32, 3), 1, false)
	target := ModelTarget(m)
	// A loss that overflows from step 2 on (the scale is an input so the
	// graph stays the same): the run must stop there and leave the
	// adapters as they were after step 1.
	var poisoned bool
	scale := func() float32 {
		if poisoned {
			return float32(math.Inf(1))
		}
		return 1
	}
	inner := target.Loss
	target.Loss = func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) Loss {
		l := inner(scope, tokens, labels, positions, segments)
		s := scope.Store().GetVariable("/test_scale")
		l.Terms[0].Sum = graph.Mul(l.Terms[0].Sum, s.NodeValue(tokens.Graph()))
		return l
	}
	sv, err := m.Store().CreateVariable("/test_scale", tensors.FromScalar(float32(1)))
	if err != nil {
		t.Fatal(err)
	}
	sv.SetTrainable(false)
	var afterStep1 []model.HostTensor
	_, err = Run(context.Background(), m.Backend(), target, data, nil, Options{
		Training: testTraining(4), Seed: 1,
		AfterStep: func(step int) error {
			afterStep1, _ = m.LoRAState()
			poisoned = true
			return sv.SetValue(tensors.FromScalar(scale()))
		},
	})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "step 2") || !strings.Contains(err.Error(), "learning rate") {
		t.Fatalf("err = %v", err)
	}
	now, _ := m.LoRAState()
	for i := range now {
		if !slices.Equal(now[i].Data, afterStep1[i].Data) {
			t.Fatalf("%s changed by the non-finite step", now[i].Name)
		}
	}
}

func TestPauseWritesACheckpoint(t *testing.T) {
	m := tinyModel(t, 0)
	data, _ := NewBatches(patternBatches(4, 2, 32, 3), 1, true)
	dir := t.TempDir()
	stop := Continue
	res, err := Run(context.Background(), m.Backend(), ModelTarget(m), data, nil, Options{
		Training: testTraining(10), Seed: 1, CheckpointDir: dir,
		Stop: StopFunc(func() StopRequest { return stop }),
		AfterStep: func(step int) error {
			if step == 3 {
				stop = Pause
			}
			return nil
		},
	})
	if !errors.Is(err, ErrPaused) || res.Step != 3 {
		t.Fatalf("pause: step %d, %v", res.Step, err)
	}
	if steps, _ := Checkpoints(dir); !slices.Equal(steps, []int{3}) {
		t.Errorf("checkpoints after pause: %v", steps)
	}
}
