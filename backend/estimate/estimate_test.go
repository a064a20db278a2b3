package estimate

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/model"
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

// The estimate against peak RSS that whetstone bench measured on the
// 2-core box (backend/bench/README.md, second pass): within 10 %.
func TestTrainingMatchesMeasuredPeaks(t *testing.T) {
	for _, tc := range []struct {
		preset     string
		checkpoint bool
		measuredMB float64
	}{
		{"5m", false, 252},
		{"30m", false, 728},
		{"30m", true, 466},
	} {
		c, err := model.Preset(tc.preset)
		require.NoError(t, err)
		b, err := Training(c, Run{Rank: 8, Targets: model.AllLinear, BatchSize: 4, SeqLen: 256, GradientCheckpointing: tc.checkpoint})
		require.NoError(t, err)
		got := float64(b.Total) / (1 << 20)
		require.InEpsilon(t, tc.measuredMB, got, 0.10, "%s checkpointing=%v: estimate %.0f MB, measured %.0f MB (%+v)",
			tc.preset, tc.checkpoint, got, tc.measuredMB, b)
	}
}
