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
	// Runs is the number of timed generations the figures average.
	Runs int `json:"runs"`
	// TokensPerS is decoding speed: tokens after the first divided by the
	// time after the first, the mean over Runs.
	TokensPerS float64 `json:"tokens_per_s"`
	// PrefillMS is the time to the first new token (prompt processing),
	// the mean over Runs.
	PrefillMS float64 `json:"prefill_ms"`
	// WarmupS is the first, compiling, generation of the same lengths.
	WarmupS float64 `json:"warmup_s"`
	// ByStorage repeats the measurement with the base weights kept in each
	// of GenerateStorages no wider than the trained model's (float32 but
	// for gemma3-4b's bfloat16), keyed by
	// storage name, with the same weights (quantized from the same seed)
	// and the LoRA adapters attached, as the Playground answers.
	ByStorage map[string]*StorageGenerate `json:"by_storage,omitempty"`
	// LlamaCpp is llama.cpp decoding the same base weights exported to
	// GGUF, keyed like ByStorage, measured in the same run when asked
	// (MeasureLlamaCpp; whetstone bench --llama-cpp); LlamaCppEngine names
	// its build.
	LlamaCpp       map[string]*LlamaCppGenerate `json:"llama_cpp,omitempty"`
	LlamaCppEngine string                       `json:"llama_cpp_engine,omitempty"`
}

// StorageGenerate is one storage precision's generation figures.
type StorageGenerate struct {
	TokensPerS float64 `json:"tokens_per_s"`
	PrefillMS  float64 `json:"prefill_ms"`
	// WeightsMB is the model's variables as stored (adapters included).
	WeightsMB float64 `json:"weights_mb"`
}

// GenerateStorages are the storages generation is measured in: the names
// chat.Weights uses, float32 (the trained model itself) first, and the
// GGUF type llama.cpp decodes beside each (int8 with one scale per row
// against q8_0's one per 32 weights: the nearest llama.cpp has).
var GenerateStorages = []struct {
	Name     string
	DType    dtypes.DType
	LlamaCpp string
}{{"float32", dtypes.Float32, "f32"}, {"bfloat16", dtypes.BFloat16, "bf16"}, {"int8", dtypes.Int8, "q8_0"}}

// generation lengths: a short chat turn, timed genRuns times (as
// llama-bench repeats each test llamaBenchRepetitions times).
const (
	genPrompt = 32
	genNew    = 64
	genRuns   = llamaBenchRepetitions
)

// measureGenerate decodes greedily with the KV cache, once to compile the
// graphs of every cache bucket and once timed. Stop tokens are disabled so
// both runs produce exactly genNew tokens. It takes m (nil: a new model of
// c) and closes it before building the other storages' models, so no two
// copies of a large model's weights are held at once.
func measureGenerate(ctx context.Context, c Config, backend compute.Backend, m *model.Model) (*GenerateResult, error) {
	if m == nil {
		var err error
		if m, err = newModel(c, backend); err != nil {
			return nil, err
		}
	}
	// The training step's pooled buffers go back to the system first:
	// after gemma3-4b's step they hold 6 GB beside its 7.8 GB of weights.
	releaseMemory()
	res, err := timeGenerate(ctx, c, m)
	weights := m.Store().ByteSize()
	m.Close()
	if err != nil {
		return nil, err
	}
	trained, err := c.StorageDType()
	if err != nil {
		return nil, err
	}
	res.ByStorage = map[string]*StorageGenerate{
		storageName(trained): {TokensPerS: res.TokensPerS, PrefillMS: res.PrefillMS, WeightsMB: mib(weights)},
	}
	for _, st := range GenerateStorages {
		if st.DType == trained || st.DType.Size() > trained.Size() {
			// Measured above, or wider than the trained model's weights:
			// a copy of a model that needs narrow weights to fit
			// (gemma3-4b).
			continue
		}
		// The previous model's weights go back to the system first.
		releaseMemory()
		sm, err := newModelStored(c, backend, st.DType)
		if err != nil {
			return nil, err
		}
		r, err := timeGenerate(ctx, c, sm)
		weights := sm.Store().ByteSize()
		sm.Close()
		if err != nil {
			return nil, fmt.Errorf("bench: %s weights: %w", st.Name, err)
		}
		res.ByStorage[st.Name] = &StorageGenerate{TokensPerS: r.TokensPerS, PrefillMS: r.PrefillMS, WeightsMB: mib(weights)}
	}
	return res, nil
}

// storageName is dt's name in GenerateStorages.
func storageName(dt dtypes.DType) string {
	for _, st := range GenerateStorages {
		if st.DType == dt {
			return st.Name
		}
	}
	return dt.String()
}

// benchPrompt is the generation's prompt: genPrompt random ids of c's
// vocabulary.
func benchPrompt(c Config) []int32 {
	rng := rand.New(rand.NewPCG(benchSeed, 11))
	prompt := make([]int32, genPrompt)
	for i := range prompt {
		prompt[i] = int32(rng.IntN(c.Vocab))
	}
	return prompt
}

// timeGenerate is one warm-up and genRuns timed generations with m: the
// mean of their decode rates and of their times to the first token.
func timeGenerate(ctx context.Context, c Config, m *model.Model) (*GenerateResult, error) {
	prompt := benchPrompt(c)
	opts := model.GenerateOptions{MaxNewTokens: genNew, StopTokens: []int32{}}
	began := time.Now()
	if _, err := m.Generate(ctx, prompt, opts, nil); err != nil {
		return nil, fmt.Errorf("bench: generation warm-up: %w", err)
	}
	res := &GenerateResult{PromptTokens: genPrompt, WarmupS: time.Since(began).Seconds(), Runs: genRuns}
	for range genRuns {
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
		res.PrefillMS += first.Sub(began).Seconds() * 1000 / genRuns
		res.TokensPerS += float64(res.NewTokens-1) / end.Sub(first).Seconds() / genRuns
	}
	return res, nil
}
