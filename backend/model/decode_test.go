package model

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// decodeConfig is tinyConfigs[name] widened so that every projection and the
// LM head are large enough (≥ 1024 elements) for the go backend's
// matrix-vector path, which one-token decode steps take.
func decodeConfig(t *testing.T, name string) *Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(tinyConfigs[name]))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	cfg.VocabSize, cfg.HiddenSize, cfg.IntermediateSize = 300, 64, 96
	return cfg
}

// TestDecodeStepMatchesForward checks the logits of one-token decode steps
// (the KV cache, matrix-vector products) against the full forward pass of
// the same sequence (matrix-matrix products) at 1e-5, for every
// architecture, with float32, bfloat16 and int8 weights (read as stored by
// the decode step, converted whole by the forward pass; int8 rows scaled
// after the product in one, before it in the other; int8 within 1e-3 of
// the largest logit, see below). The prompt's chunk (17 tokens padded to
// 32) also runs blockwise in blocks of 8, its padding and the sliding
// windows hiding whole blocks, against the plain forward pass.
func TestDecodeStepMatchesForward(t *testing.T) {
	for name := range tinyConfigs {
		for _, storage := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16, dtypes.Int8} {
			for _, block := range []int{0, 8} {
				t.Run(fmt.Sprintf("%s/%s/block=%d", name, storage, block), func(t *testing.T) {
					decodeStepMatchesForward(t, name, storage, block)
				})
			}
		}
	}
}

func decodeStepMatchesForward(t *testing.T, name string, storage dtypes.DType, block int) {
	m, err := NewRandom(decodeConfig(t, name), 5, Options{StorageDType: storage})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.SetAttentionBlock(block)
	seq := testTokens(21, m.cfg.VocabSize, 3)
	const prompt = 17
	step := &cacheStepper{m: m}
	defer step.close()
	var steps [][]float32
	got, err := step.feed(seq[:prompt], prompt)
	if err != nil {
		t.Fatal(err)
	}
	steps = append(steps, got)
	for n := prompt + 1; n <= len(seq); n++ {
		got, err := step.feed(seq[:n], 1)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, got)
	}
	m.SetAttentionBlock(-1)
	want, err := m.Logits(seq)
	if err != nil {
		t.Fatal(err)
	}
	worst, largest := 0.0, 0.0
	for i, got := range steps {
		for v, g := range got {
			w := float64(want[prompt-1+i][v])
			worst = math.Max(worst, math.Abs(float64(g)-w))
			largest = math.Max(largest, math.Abs(w))
		}
	}
	// With AVX512 VNNI the int8 matrix-vector kernel rounds each
	// activation vector to int16 codes (1.5e-5 of its largest
	// element), far under the int8 weights' own rounding; over
	// the layers that moves these logits by up to about 3e-4.
	tol := 1e-5
	if storage == dtypes.Int8 {
		tol = 1e-3 * math.Max(1, largest)
	}
	if worst > tol {
		t.Errorf("decode step logits differ from the forward pass by up to %g (> %g; largest logit %g)", worst, tol, largest)
	}
}

// TestDecodeGreedyMatchesRecompute checks that greedy generation with the
// KV cache (one-token steps) gives the same tokens as recomputing the whole
// sequence at every step, on the widened tiny configurations, with
// bfloat16 and int8 weights.
func TestDecodeGreedyMatchesRecompute(t *testing.T) {
	for _, name := range []string{"gemma3", "llama", "qwen3"} {
		for _, storage := range []dtypes.DType{dtypes.BFloat16, dtypes.Int8} {
			t.Run(name+"/"+storage.String(), func(t *testing.T) {
				m, err := NewRandom(decodeConfig(t, name), 9, Options{StorageDType: storage})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				prompt := testTokens(9, m.cfg.VocabSize, 4)
				opts := GenerateOptions{MaxNewTokens: 24, StopTokens: []int32{}}
				cached, err := m.Generate(context.Background(), prompt, opts, nil)
				if err != nil {
					t.Fatal(err)
				}
				opts.NoCache = true
				full, err := m.Generate(context.Background(), prompt, opts, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(cached.Tokens) != opts.MaxNewTokens || !slices.Equal(cached.Tokens, full.Tokens) {
					t.Errorf("cached %v\nfull   %v", cached.Tokens, full.Tokens)
				}
			})
		}
	}
}
