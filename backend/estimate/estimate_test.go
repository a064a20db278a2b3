package estimate

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/quant"
)

func tinyConfig() *model.Config {
	return &model.Config{
		Arch: "gemma3", VocabSize: 512, HiddenSize: 64, IntermediateSize: 128, NumLayers: 2,
		NumHeads: 4, NumKVHeads: 2, HeadDim: 16, TieWordEmbeddings: true,
	}
}

func TestLoRAParamsCountsEachProjection(t *testing.T) {
	c := tinyConfig()
	// q: 64->64, k: 64->32, v: 64->32 ; r=8 ; 2 layers
	n, err := LoRAParams(c, 8, []string{"q_proj", "k_proj", "v_proj"})
	require.NoError(t, err)
	require.Equal(t, int64(2*8*((64+64)+(64+32)+(64+32))), n)
	_, err = LoRAParams(c, 8, []string{"lm_head"})
	require.ErrorContains(t, err, `"lm_head"`)
}

func TestTrainingGrowsWithBatchAndSequence(t *testing.T) {
	c := tinyConfig()
	all := []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
	small, err := Training(c, Run{Rank: 8, Targets: all, BatchSize: 1, SeqLen: 64})
	require.NoError(t, err)
	big, err := Training(c, Run{Rank: 8, Targets: all, BatchSize: 4, SeqLen: 256})
	require.NoError(t, err)
	require.Greater(t, big.Activations, 4*small.Activations)
	require.Equal(t, small.BaseWeights, big.BaseWeights)
	require.Equal(t, small.BaseWeights+small.LoRA+small.Activations+small.Logits+small.Overhead, small.Total)
	half, err := Training(c, Run{WeightBytes: 2, Rank: 8, Targets: all, BatchSize: 1, SeqLen: 64})
	require.NoError(t, err)
	require.Equal(t, small.BaseWeights/2, half.BaseWeights)
	_, err = Training(c, Run{Rank: 8, Targets: all})
	require.Error(t, err)
}

// The estimate against the peaks the bench measures, at every bench
// configuration: backend/bench/estimate_peaks_test.go (the estimate
// cannot import the bench, which imports it).

// gemma3_1b is Gemma 3 1B's text config (google/gemma-3-1b-it), from its
// shapes: the issue-19 case the estimate once put at 30 GiB.
func gemma3_1b(t *testing.T) *model.Config {
	c, err := model.Preset("gemma3-270m")
	require.NoError(t, err)
	c.HiddenSize, c.IntermediateSize, c.NumLayers = 1152, 6912, 26
	c.MaxPositionEmbeddings = 32768
	return c
}

func TestGemma3_1BAtRealSize(t *testing.T) {
	c := gemma3_1b(t)
	require.InDelta(t, 1.0e9, float64(c.NumParams()), 0.05e9)
	run := Run{Rank: 8, Targets: model.AllLinear, BatchSize: 2, SeqLen: 2048}
	plain, err := Training(c, run)
	require.NoError(t, err)
	run.GradientCheckpointing = true
	ck, err := Training(c, run)
	require.NoError(t, err)
	const gib = 1 << 30
	// The loss is chunked: 128 rows of 262k logits at a time (three
	// tensors of 128 MiB), never the 2 GiB of a whole sequence's.
	require.Equal(t, int64(model.MinLossChunkRows*c.VocabSize*4*3), plain.Logits)
	// The gradients in flight belong to one layer, not to all 26.
	require.Less(t, plain.Total, int64(28*gib))
	// With checkpointing, 4 GiB of f32 weights and about 1.3 GiB of
	// activations: what issue 19 aims to run in 8 GB.
	require.Less(t, ck.Total, int64(9*gib))
	require.Greater(t, ck.Total, int64(5*gib))
	require.Less(t, ck.Activations, plain.Activations/5)
}

func TestSuggestLeastHarmFirst(t *testing.T) {
	c := gemma3_1b(t)
	run := Run{Rank: 8, Targets: model.AllLinear, BatchSize: 4, SeqLen: 2048}
	plain, err := Training(c, run)
	require.NoError(t, err)

	// Room for checkpointing alone: nothing else changes.
	ckRun := run
	ckRun.GradientCheckpointing = true
	ck, err := Training(c, ckRun)
	require.NoError(t, err)
	require.Less(t, ck.Total, plain.Total)
	fit, ok, err := Suggest(c, run, 2, ck.Total)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, Fit{GradientCheckpointing: true, Quantization: "none", BatchSize: 4, GradAccum: 2, SeqLen: 2048, Estimate: ck}, fit)

	// Less room: a smaller micro-batch, the effective batch kept (4·2 = 1·8).
	fit, ok, err = Suggest(c, run, 2, ck.Total-1)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, fit.GradientCheckpointing)
	require.Equal(t, 8, fit.BatchSize*fit.GradAccum)
	require.Less(t, fit.BatchSize, 4)
	require.Equal(t, 2048, fit.SeqLen)
	require.LessOrEqual(t, fit.Estimate.Total, ck.Total-1)

	// Less still: no split of the batch fits, NF4 weights do, with the
	// largest micro-batch that fits.
	one := ckRun
	one.BatchSize = 1
	b1, err := Training(c, one)
	require.NoError(t, err)
	fit, ok, err = Suggest(c, run, 2, b1.Total-1)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "nf4", fit.Quantization)
	require.Equal(t, 8, fit.BatchSize*fit.GradAccum)
	require.Equal(t, 2048, fit.SeqLen)
	require.LessOrEqual(t, fit.Estimate.Total, b1.Total-1)
	bigger := one
	bigger.Quantization, bigger.BatchSize = "nf4", fit.BatchSize*2
	if bigger.BatchSize <= 4 {
		b, err := Training(c, bigger)
		require.NoError(t, err)
		require.Greater(t, b.Total, b1.Total-1, "a larger micro-batch would have fit too")
	}

	// Less still: NF4, batch 1 and a shorter sequence.
	q1 := one
	q1.Quantization = "nf4"
	nf4b1, err := Training(c, q1)
	require.NoError(t, err)
	fit, ok, err = Suggest(c, run, 2, nf4b1.Total-1)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "nf4", fit.Quantization)
	require.Equal(t, 1, fit.BatchSize)
	require.Equal(t, 8, fit.GradAccum)
	require.Less(t, fit.SeqLen, 2048)

	// Nothing fits when the NF4 weights alone do not.
	_, ok, err = Suggest(c, run, 2, nf4b1.BaseWeights)
	require.NoError(t, err)
	require.False(t, ok)
	// A run already in NF4 is not offered it again, nor a change back.
	q := run
	q.Quantization = "nf4"
	fit, ok, err = Suggest(c, q, 2, nf4b1.Total)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "nf4", fit.Quantization)
}

// gemma3_4b is Gemma 3 4B's text config (google/gemma-3-4b-it's
// text_config): 34 layers of hidden 2560 and MLP 10240, 8 heads and 4 KV
// heads of 256, vocabulary 262208.
func gemma3_4b(t *testing.T) *model.Config {
	c, err := model.Preset("gemma3-270m")
	require.NoError(t, err)
	c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumLayers = 262208, 2560, 10240, 34
	c.NumHeads, c.NumKVHeads, c.HeadDim = 8, 4, 256
	c.MaxPositionEmbeddings = 131072
	return c
}

// The estimate knows NF4 and int8 storage. Gemma 3 4B at batch 2 × 2048
// with checkpointing: its 3.2B projection weights take 12.8 GB as float32
// (the CPU's storage), 1.6 GB as NF4, 3.4 GB as int8. Stated range for the
// NF4 run's total: 10 to 13 GiB, of which the weights (the 2.7 GB float32
// embeddings, the NF4 projections, a few dequantized projections) are 4
// to 5 GiB and activations about 4.5 GiB; the unquantized run needs over
// 11 GiB more.
func TestQuantizedEstimateGemma3_4B(t *testing.T) {
	c := gemma3_4b(t)
	require.InDelta(t, 3.9e9, float64(c.NumParams()), 0.1e9)
	run := Run{Rank: 8, Targets: model.AllLinear, BatchSize: 2, SeqLen: 2048, GradientCheckpointing: true}
	none, err := Training(c, run)
	require.NoError(t, err)
	run.Quantization = "nf4"
	nf4, err := Training(c, run)
	require.NoError(t, err)
	run.Quantization = "int8"
	int8, err := Training(c, run)
	require.NoError(t, err)
	const gib = 1 << 30
	t.Logf("Gemma 3 4B, batch 2 × 2048, checkpointing: none %.1f GiB (weights %.1f), nf4 %.1f GiB (weights %.2f), int8 %.1f GiB (weights %.2f)",
		float64(none.Total)/gib, float64(none.BaseWeights)/gib, float64(nf4.Total)/gib, float64(nf4.BaseWeights)/gib,
		float64(int8.Total)/gib, float64(int8.BaseWeights)/gib)
	require.Greater(t, nf4.Total, int64(8*gib))
	require.Less(t, nf4.Total, int64(11*gib))
	require.Greater(t, nf4.BaseWeights, int64(4*gib))
	require.Less(t, nf4.BaseWeights, int64(5*gib))
	require.Greater(t, none.Total-nf4.Total, int64(11*gib))
	require.Less(t, nf4.Total, int8.Total)
	require.Less(t, int8.Total, none.Total)
	require.Equal(t, none.Activations, nf4.Activations)

	// The weights' difference is the projections' bytes, exactly.
	var proj, largest int64
	for _, d := range projDims(c) {
		n := int64(d[0]) * int64(d[1])
		proj += n
		largest = max(largest, n)
	}
	proj *= int64(c.NumLayers)
	require.Equal(t, none.BaseWeights-4*proj+int64(c.NumLayers)*nf4ProjBytes(c)+dequantCopies*4*largest, nf4.BaseWeights)
	run.Quantization = "nf3"
	_, err = Training(c, run)
	require.ErrorContains(t, err, `"nf3"`)
}

// nf4ProjBytes is one layer's projections as NF4, tensor by tensor.
func nf4ProjBytes(c *model.Config) int64 {
	var n int64
	for _, d := range projDims(c) {
		n += quant.NF4Bytes(int64(d[0]) * int64(d[1]))
	}
	return n
}

// A trained module costs its float32 copy, gradient and two AdamW moments
// plus the gradient the step builds: vocab·hidden·4 bytes six times, once
// for a tied model's one matrix, twice for an untied model's two.
func TestModulesToSave(t *testing.T) {
	tied := tinyConfig()
	untied := tinyConfig()
	untied.TieWordEmbeddings = false
	matrix := int64(512 * 64)
	for _, tc := range []struct {
		cfg     *model.Config
		modules []string
		params  int64
	}{
		{tied, nil, 0},
		{tied, []string{"embed_tokens"}, matrix},
		{tied, []string{"embed_tokens", "lm_head"}, matrix},
		{untied, []string{"lm_head"}, matrix},
		{untied, []string{"embed_tokens", "lm_head"}, 2 * matrix},
	} {
		plain, err := Training(tc.cfg, Run{Rank: 8, Targets: model.AllLinear, BatchSize: 1, SeqLen: 64})
		require.NoError(t, err)
		b, err := Training(tc.cfg, Run{Rank: 8, Targets: model.AllLinear, BatchSize: 1, SeqLen: 64, ModulesToSave: tc.modules})
		require.NoError(t, err)
		require.Equal(t, tc.params, b.ModuleParams, "%v", tc.modules)
		require.Equal(t, tc.params*4*6, b.Modules, "%v", tc.modules)
		require.Equal(t, b.BaseWeights+b.LoRA+b.Modules+b.Activations+b.Logits+b.Overhead, b.Total)
		require.Equal(t, plain.BaseWeights, b.BaseWeights, "the frozen matrix stays")
		require.GreaterOrEqual(t, b.Total-plain.Total, b.Modules)
	}
	_, err := Training(tied, Run{Rank: 8, Targets: model.AllLinear, BatchSize: 1, SeqLen: 64, ModulesToSave: []string{"norm"}})
	require.ErrorContains(t, err, `lora.modules_to_save entry "norm"`)
}
