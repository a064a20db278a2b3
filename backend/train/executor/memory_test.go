package executor

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// Gemma 3 1B at the default preset (seq 2048, batch 2) needs about 27 GiB
// without checkpointing and 8 with it: a machine with 12 GiB free gets
// checkpointing switched on, one with 64 does not need it, one with 4
// cannot run it either way (the settings are left for the check to
// explain), and neither an XLA backend nor a config that already has it
// is touched.
func TestChooseMemory(t *testing.T) {
	data, err := os.ReadFile("../../bench/gemma3/gemma-3-1b-pt.config.json")
	require.NoError(t, err)
	mc, err := model.ParseConfig(data)
	require.NoError(t, err)
	cfg := runconfig.Default()
	plain, err := estimate.Training(mc, estimate.ForConfig(cfg))
	require.NoError(t, err)
	require.Greater(t, plain.Total, int64(20)<<30, "the case needs a run that does not fit 20 GiB without checkpointing")

	on, err := chooseMemory(cfg, mc, "go", 12<<30)
	require.NoError(t, err)
	require.True(t, on.Auto)
	require.True(t, on.Checkpointing)
	require.Contains(t, on.Note, "switched on")
	require.Contains(t, on.Note, "12.0 GiB are available")
	run := estimate.ForConfig(cfg)
	run.GradientCheckpointing = true
	ck, err := estimate.Training(mc, run)
	require.NoError(t, err)
	require.Equal(t, ck.StepBytes(), on.StepBytes, "the step's memory is the checkpointed run's")

	for _, c := range []struct {
		name    string
		backend string
		avail   int64
		ck      bool
	}{
		{"roomy", "go", 64 << 30, false},
		{"too small either way", "go", 4 << 30, false},
		{"unknown memory", "go", 0, false},
		{"xla", "xla", 12 << 30, false},
		{"already on", "go", 12 << 30, true},
	} {
		cfg := runconfig.Default()
		cfg.Training.GradientCheckpointing = c.ck
		on, err := chooseMemory(cfg, mc, c.backend, c.avail)
		require.NoError(t, err, c.name)
		require.False(t, on.Auto, c.name)
		require.Equal(t, c.ck, on.Checkpointing, c.name)
	}
}
