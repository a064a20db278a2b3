package train

import (
	"context"
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// TestBFloat16StorageTrainsLikeFloat32 trains the same float32 checkpoint
// twice, its frozen weights kept once as loaded and once in bfloat16
// (model.storage: bfloat16), and compares 20 steps of losses: the
// storage rounds each weight to 8 bits of mantissa, which must move the
// losses by less than 1e-3 (relative).
func TestBFloat16StorageTrainsLikeFloat32(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	src, err := model.NewRandom(cfg, 11, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := src.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	batches := patternBatches(8, 2, 32, 3)
	tc := testTraining(20)
	run := func(storage dtypes.DType) []float64 {
		m, err := model.Load(dir, model.Options{StorageDType: storage})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.AddLoRA(model.LoRAConfig{Rank: 8, Alpha: 16, Seed: 3407}); err != nil {
			t.Fatal(err)
		}
		data, _ := NewBatches(batches, 3407, true)
		res, err := Run(context.Background(), m.Backend(), ModelTarget(m), data, nil, Options{Training: tc, Seed: 3407})
		if err != nil {
			t.Fatal(err)
		}
		return res.Losses
	}
	f32, bf16 := run(dtypes.Float32), run(dtypes.BFloat16)
	if len(f32) != 20 || len(bf16) != 20 {
		t.Fatalf("%d and %d losses, want 20", len(f32), len(bf16))
	}
	worst := 0.0
	for i := range f32 {
		worst = math.Max(worst, math.Abs(bf16[i]-f32[i])/f32[i])
	}
	if worst > 1e-3 {
		t.Errorf("bfloat16 storage moved the losses by up to %.2g (relative), want under 1e-3\nf32  %v\nbf16 %v", worst, f32, bf16)
	}
	if f32[19] >= f32[0] {
		t.Errorf("the loss did not fall (%v → %v): the comparison would prove little", f32[0], f32[19])
	}
	t.Logf("losses %.4f → %.4f; bfloat16 storage within %.2g (relative) of float32", f32[0], f32[19], worst)
}
