package bench

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// TestStepFLOPsTinyHandCount checks the formula against a count done by
// hand for the tiny configuration (vocab 512, hidden 64, 2 layers, 4 heads
// and 2 KV heads of 16, MLP 128, 4×64 tokens, r 8; its 512 window is
// longer than the rows, so every layer is plain causal).
func TestStepFLOPsTinyHandCount(t *testing.T) {
	c, err := Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	mc, err := c.ModelConfig()
	if err != nil {
		t.Fatal(err)
	}
	got := CountStepFLOPs(c, mc, false)
	// N = 4·64 = 256 tokens.
	// P = q 64·64 + k 64·32 + v 64·32 + o 64·64 + gate, up 64·128 + down 128·64
	//   = 4096 + 2048 + 2048 + 4096 + 8192 + 8192 + 8192 = 36,864
	// projections: 2 layers · (2 forward + 2 backward) · 256 · 36,864
	want := StepFLOPs{Projections: 75_497_472}
	// R = 8·(128 + 96 + 96 + 128 + 3·192) = 8,192; 2 · 6 · 256 · 8,192
	want.LoRA = 25_165_824
	// 64·65/2 = 2,080 pairs a row; 2 layers · 12 · 4 rows · 64 (4 heads of 16) · 2,080
	want.Attention = 12_779_520
	// 4 · 256 · 64 · 512
	want.LMHead = 33_554_432
	want.Total = 146_997_248
	// The attention backward's QKᵀ again: 2 layers · 2 · 4 · 64 · 2,080
	want.Recomputed = 2_129_920
	if got != want {
		t.Errorf("tiny step FLOPs %+v, want %+v", got, want)
	}
	// Checkpointed, each layer's forward again: 2 · 256 · 36,864
	// + 2 · 256 · 8,192 + 4 · 4 · 64 · 2,080 = 25,198,592 a layer.
	want.Recomputed += 2 * 25_198_592
	if got := CountStepFLOPs(c, mc, true); got != want {
		t.Errorf("tiny checkpointed step FLOPs %+v, want %+v", got, want)
	}
}

// TestStepFLOPsSlidingWindow: a sliding layer's queries see at most the
// window, a full layer's all earlier tokens.
func TestStepFLOPsSlidingWindow(t *testing.T) {
	if got := attendedPairs(6, 4); got != 1+2+3+4+4+4 {
		t.Errorf("attendedPairs(6, 4) = %g, want 18", got)
	}
	if got := attendedPairs(6, 0); got != 21 {
		t.Errorf("attendedPairs(6, 0) = %g, want 21", got)
	}
	c, err := Lookup("gemma3-270m")
	if err != nil {
		t.Fatal(err)
	}
	mc, err := c.ModelConfig()
	if err != nil {
		t.Fatal(err)
	}
	// 18 layers: 15 sliding (window 512) and 3 full, 1,024-token rows.
	sliding := float64(512*513/2 + (1024-512)*512)
	full := float64(1024 * 1025 / 2)
	want := 12 * 2 * 1024 * (15*sliding + 3*full)
	if got := CountStepFLOPs(c, mc, false).Attention; got != want {
		t.Errorf("gemma3-270m attention FLOPs %g, want %g", got, want)
	}
}

// TestPublishedConfigs reads the published config.json files the
// real-size configurations are built from and checks that the benchmark's
// shapes are theirs, and that they are the published models: the
// parameter counts are the ones Google publishes (268,098,176 for Gemma 3
// 270M; 999,885,952 for Gemma 3 1B, e.g. KerasHub's gemma3_1b preset).
func TestPublishedConfigs(t *testing.T) {
	for _, tc := range []struct {
		name, file    string
		params        int64
		seq, batch    int
		vocab, window int
	}{
		{"gemma3-270m", "gemma-3-270m.config.json", 268_098_176, 1024, 2, 262144, 512},
		{"gemma3-1b", "gemma-3-1b-pt.config.json", 999_885_952, 2048, 2, 262144, 512},
		// The text model of the 4,300,079,472 parameters of the
		// multimodal checkpoint, which adds the SigLIP vision tower and
		// its projection (419,816,304).
		{"gemma3-4b", "gemma-3-4b-pt.config.json", 3_880_263_168, 2048, 2, 262208, 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Lookup(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := model.LoadConfig(filepath.Join("gemma3", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := []int{c.Vocab, c.Hidden, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.MLP, c.SlidingWindow}
			want := []int{pub.VocabSize, pub.HiddenSize, pub.NumLayers, pub.NumHeads, pub.NumKVHeads, pub.HeadDim, pub.IntermediateSize, pub.SlidingWindow}
			if !slices.Equal(got, want) {
				t.Errorf("bench config %v, %s has %v", got, tc.file, want)
			}
			if pub.VocabSize != tc.vocab || pub.SlidingWindow != tc.window {
				t.Errorf("%s: vocab %d, window %d", tc.file, pub.VocabSize, pub.SlidingWindow)
			}
			if n := pub.NumParams(); n != tc.params {
				t.Errorf("%s: %d parameters, the published model has %d", tc.file, n, tc.params)
			}
			// Five sliding layers, then a full one.
			for i := range pub.NumLayers {
				if pub.IsSliding(i) != ((i+1)%6 != 0) {
					t.Errorf("%s: layer %d sliding = %v", tc.file, i, pub.IsSliding(i))
				}
			}
			if c.Seq != tc.seq || c.Batch != tc.batch || c.Rank != 8 {
				t.Errorf("%s trains %d×%d at r %d, want %d×%d at r 8", c.Name, c.Batch, c.Seq, c.Rank, tc.batch, tc.seq)
			}
			mc, err := c.ModelConfig()
			if err != nil {
				t.Fatal(err)
			}
			if mc.NumParams() != tc.params || !slices.Equal(mc.LayerTypes, pub.LayerTypes) || mc.RopeTheta != pub.RopeTheta {
				t.Errorf("model config differs from %s", tc.file)
			}
			if f := CountStepFLOPs(c, mc, true); f.Total <= 0 || f.Recomputed <= 0 || math.IsInf(f.Total, 0) {
				t.Errorf("step FLOPs %+v", f)
			}
		})
	}
}
