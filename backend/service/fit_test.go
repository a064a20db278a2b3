package service

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/accel"
	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// gemma3_1b has Gemma 3 1B's shapes (the estimate needs no weights).
func gemma3_1b(t *testing.T) *model.Config {
	c, err := model.Preset("gemma3-270m")
	require.NoError(t, err)
	c.HiddenSize, c.IntermediateSize, c.NumLayers = 1152, 6912, 26
	return c
}

func TestFitCheckSuggestsTheSettingsThatFit(t *testing.T) {
	c := gemma3_1b(t)
	cfg := runconfig.Default() // seq 2048, batch 2 × 4, no checkpointing

	roomy, err := checkFit(c, cfg, 64<<10, "")
	require.NoError(t, err)
	require.True(t, roomy.Fits)
	require.Nil(t, roomy.Suggestion)
	require.Equal(t, "RAM", roomy.Memory)

	// 12 GiB free: checkpointing alone makes it fit, nothing else changes.
	tight, err := checkFit(c, cfg, 12<<10, "")
	require.NoError(t, err)
	require.False(t, tight.Fits)
	require.NotNil(t, tight.Suggestion)
	require.Equal(t, FitSuggestion{GradientCheckpointing: true, Quantization: "none", BatchSize: 2, GradAccum: 4, MaxSeqLen: 2048,
		TotalMB: tight.Suggestion.TotalMB, Text: tight.Suggestion.Text}, *tight.Suggestion)
	require.LessOrEqual(t, tight.Suggestion.TotalMB, 12.0*1024)
	require.Contains(t, tight.Suggestion.Text, "turn on gradient checkpointing")

	// Room for batch 1 with 8 accumulation steps (the same effective
	// batch), and no more.
	one := estimate.Run{Rank: cfg.LoRA.R, Targets: cfg.LoRA.Targets, BatchSize: 1, SeqLen: 2048, GradientCheckpointing: true}
	b1, err := estimate.Training(c, one)
	require.NoError(t, err)
	small, err := checkFit(c, cfg, mb(b1.Total), "")
	require.NoError(t, err)
	require.NotNil(t, small.Suggestion)
	s := small.Suggestion
	require.True(t, s.GradientCheckpointing)
	require.Equal(t, "none", s.Quantization)
	require.Equal(t, 1, s.BatchSize)
	require.Equal(t, 8, s.GradAccum)
	require.Equal(t, 2048, s.MaxSeqLen)
	require.Contains(t, s.Text, "batch size 1 with 8 accumulation steps")
	require.Equal(t, "training.gradient_checkpointing", fitWarning(&small, cfg).Field)

	// 5 GiB: batch 1 is not enough; NF4 base weights fit, with the
	// original micro-batch and sequence (a shorter sequence would change
	// what is trained on), and the warning points at the first change.
	five, err := checkFit(c, cfg, 5<<10, "")
	require.NoError(t, err)
	require.NotNil(t, five.Suggestion)
	s = five.Suggestion
	require.Equal(t, "nf4", s.Quantization)
	require.Contains(t, s.Text, "store the base weights as NF4 (model.quantization)")
	require.Equal(t, 2, s.BatchSize)
	require.Equal(t, 2048, s.MaxSeqLen)
	require.LessOrEqual(t, s.TotalMB, 5.0*1024)
	ck := cfg
	ck.Training.GradientCheckpointing = true
	five, err = checkFit(c, ck, 5<<10, "")
	require.NoError(t, err)
	require.Equal(t, "model.quantization", fitWarning(&five, ck).Field)

	// 2 GiB: the weights alone are 3.7 GiB, 1.6 GiB as NF4.
	none, err := checkFit(c, cfg, 2<<10, "XLA (cuda)")
	require.NoError(t, err)
	require.False(t, none.Fits)
	require.Nil(t, none.Suggestion)
	require.Contains(t, none.Note, "XLA (cuda)")
	require.Contains(t, none.Note, "no setting fits")
	require.Contains(t, none.Note, "GiB as NF4)")

	unknown, err := checkFit(c, cfg, 0, "")
	require.NoError(t, err)
	require.True(t, unknown.Fits, "unknown free memory is no false alarm")
}

func TestPlannedGPU(t *testing.T) {
	s, _ := newServices(t)
	d := s.Runs.deps
	env := map[string]string{}
	d.Getenv = func(k string) string { return env[k] }
	require.Equal(t, "", d.plannedGPU())
	env[accel.EnvVar] = "xla:cuda"
	require.Equal(t, "XLA (cuda)", d.plannedGPU())
	env[accel.EnvVar] = "xla:cpu"
	require.Equal(t, "", d.plannedGPU())
}
