package service

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// A preference method's micro-batch holds both sides of its pairs, so
// batch_size 2 pairs is 4 rows; DPO adds its reference pass, one layer's
// activations of those rows.
func TestFitEstimateOfPreferenceMethods(t *testing.T) {
	c := gemma3_1b(t)
	cfg := runconfig.Default() // batch 2, seq 2048
	run := estimate.Run{Rank: cfg.LoRA.R, Targets: cfg.LoRA.Targets, BatchSize: 2, SeqLen: 2048}
	rows4 := run
	rows4.BatchSize = 4
	want, err := estimate.Training(c, rows4)
	require.NoError(t, err)

	est := func(method string) MemoryEstimate {
		cfg.Training.Method = method
		e, err := checkFit(c, cfg, 0, "")
		require.NoError(t, err)
		return e
	}
	sft, orpo, dpo := est(runconfig.MethodSFT), est(runconfig.MethodORPO), est(runconfig.MethodDPO)
	require.Equal(t, want, orpo.Breakdown, "ORPO: 2 pairs are 4 rows")
	require.Less(t, sft.TotalMB, orpo.TotalMB)
	layer := want.Activations / int64(c.NumLayers)
	require.Equal(t, want.Activations+layer, dpo.Activations, "DPO's reference pass: one layer of the 4 rows")
	require.Greater(t, dpo.Overhead, want.Overhead)
	require.Equal(t, dpo.BaseWeights+dpo.LoRA+dpo.Modules+dpo.Activations+dpo.Logits+dpo.Overhead, dpo.Total)
	require.Equal(t, est(runconfig.MethodCPT).Breakdown, sft.Breakdown, "continued pretraining holds what SFT does")
}

// A suggestion for pairs keeps each pair in one micro-batch: batch_size
// counts pairs and divides the run's, and the effective batch of pairs is
// kept.
func TestFitSuggestionKeepsPairsWhole(t *testing.T) {
	c := gemma3_1b(t)
	cfg := runconfig.Default()
	cfg.Training.Method = runconfig.MethodDPO
	cfg.Training.BatchSize, cfg.Training.GradAccum = 3, 2

	// Room for one pair (two rows) with checkpointing, not for three.
	one := estimate.Run{Rank: cfg.LoRA.R, Targets: cfg.LoRA.Targets, BatchSize: 1, SeqLen: 2048, GradientCheckpointing: true,
		Method: runconfig.MethodDPO}
	b1, err := estimate.Training(c, one)
	require.NoError(t, err)
	fit, err := checkFit(c, cfg, mb(b1.Total)+1, "")
	require.NoError(t, err)
	require.False(t, fit.Fits)
	require.NotNil(t, fit.Suggestion, fit.Note)
	s := fit.Suggestion
	require.Equal(t, 1, s.BatchSize)
	require.Equal(t, 6, s.GradAccum, "3 pairs × 2 steps, one pair at a time")
	require.True(t, s.GradientCheckpointing)
	require.LessOrEqual(t, s.TotalMB, mb(b1.Total)+1)
	require.Contains(t, s.Text, "batch size 1 with 6 accumulation steps (the same effective batch of 6)")

}
