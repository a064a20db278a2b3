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
func TestAutoCheckpointing(t *testing.T) {
	data, err := os.ReadFile("../../bench/gemma3/gemma-3-1b-pt.config.json")
	require.NoError(t, err)
	mc, err := model.ParseConfig(data)
	require.NoError(t, err)
	cfg := runconfig.Default()
	plain, err := estimate.Training(mc, estimate.ForConfig(cfg))
	require.NoError(t, err)
	require.Greater(t, plain.Total, int64(20)<<30, "the case needs a run that does not fit 20 GiB without checkpointing")

	on, note, err := autoCheckpointing(cfg, mc, "go", 12<<30)
	require.NoError(t, err)
	require.True(t, on)
	require.Contains(t, note, "switched on")
	require.Contains(t, note, "12.0 GiB are available")

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
		on, _, err := autoCheckpointing(cfg, mc, c.backend, c.avail)
		require.NoError(t, err, c.name)
		require.False(t, on, c.name)
	}
}
