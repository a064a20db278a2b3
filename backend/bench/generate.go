package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// GenerateResult holds the KV-cached generation measurement.
type GenerateResult struct {
	PromptTokens int `json:"prompt_tokens"`
	NewTokens    int `json:"new_tokens"`
	// TokensPerS is decoding speed: tokens after the first divided by the
	// time after the first.
	TokensPerS float64 `json:"tokens_per_s"`
	// PrefillMS is the time to the first new token (prompt processing).
	PrefillMS float64 `json:"prefill_ms"`
	// WarmupS is the first, compiling, generation of the same lengths.
	WarmupS float64 `json:"warmup_s"`
	// ByStorage repeats the measurement with the base weights kept in each
	// of GenerateStorages (the trained model above is float32), keyed by
	// storage name, with the same weights (quantized from the same seed)
	// and the LoRA adapters attached, as the Playground answers.
	ByStorage map[string]*StorageGenerate `json:"by_storage,omitempty"`
}

// StorageGenerate is one storage precision's generation figures.
type StorageGenerate struct {
	TokensPerS float64 `json:"tokens_per_s"`
	PrefillMS  float64 `json:"prefill_ms"`
	// WeightsMB is the model's variables as stored (adapters included).
	WeightsMB float64 `json:"weights_mb"`
}

// GenerateStorages are the storages generation is measured in: the names
// chat.Weights uses, float32 (the trained model itself) first.
var GenerateStorages = []struct {
	Name  string
	DType dtypes.DType
}{{"float32", dtypes.Float32}, {"bfloat16", dtypes.BFloat16}, {"int8", dtypes.Int8}}

// generation lengths: a short chat turn.
const (
	genPrompt = 32
	genNew    = 64
)

// measureGenerate decodes greedily with the KV cache, once to compile the
// graphs of every cache bucket and once timed. Stop tokens are disabled so
// both runs produce exactly genNew tokens.
func measureGenerate(ctx context.Context, c Config, backend compute.Backend, m *model.Model) (*GenerateResult, error) {
	if m == nil {
		var err error
		if m, err = newModel(c, backend); err != nil {
			return nil, err
		}
	}
	res, err := timeGenerate(ctx, c, m)
	if err != nil {
		return nil, err
	}
	res.ByStorage = map[string]*StorageGenerate{}
	for _, st := range GenerateStorages {
		// float32 is the trained model, just measured.
		r, weights := res, m.Store().ByteSize()
		if st.DType != dtypes.Float32 {
			sm, err := newModelStored(c, backend, st.DType)
			if err != nil {
				return nil, err
			}
			weights = sm.Store().ByteSize()
			r, err = timeGenerate(ctx, c, sm)
			sm.Close()
			if err != nil {
				return nil, fmt.Errorf("bench: %s weights: %w", st.Name, err)
			}
		}
		res.ByStorage[st.Name] = &StorageGenerate{TokensPerS: r.TokensPerS, PrefillMS: r.PrefillMS, WeightsMB: float64(weights) / (1 << 20)}
	}
	return res, nil
}

// timeGenerate is one warm-up and one timed generation with m.
func timeGenerate(ctx context.Context, c Config, m *model.Model) (*GenerateResult, error) {
	rng := rand.New(rand.NewPCG(benchSeed, 11))
	prompt := make([]int32, genPrompt)
	for i := range prompt {
		prompt[i] = int32(rng.IntN(c.Vocab))
	}
	opts := model.GenerateOptions{MaxNewTokens: genNew, StopTokens: []int32{}}
	began := time.Now()
	if _, err := m.Generate(ctx, prompt, opts, nil); err != nil {
		return nil, fmt.Errorf("bench: generation warm-up: %w", err)
	}
	res := &GenerateResult{PromptTokens: genPrompt, WarmupS: time.Since(began).Seconds()}
	var first time.Time
	began = time.Now()
	gen, err := m.Generate(ctx, prompt, opts, func(int32) error {
		if first.IsZero() {
			first = time.Now()
		}
		return nil
	})
	end := time.Now()
	if err != nil {
		return nil, fmt.Errorf("bench: generation: %w", err)
	}
	res.NewTokens = len(gen.Tokens)
	if res.NewTokens < 2 {
		return nil, fmt.Errorf("bench: generation produced %d tokens, want %d", res.NewTokens, genNew)
	}
	res.PrefillMS = first.Sub(began).Seconds() * 1000
	res.TokensPerS = float64(res.NewTokens-1) / end.Sub(first).Seconds()
	return res, nil
}
