package cli

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// `whetstone train` prints what the New run form shows before Start: the
// run's length and its warnings, and a warned run still trains, saying
// how its preparation goes.
func TestTrainPrintsTheCheck(t *testing.T) {
	cfg := tinyRunConfig(t)
	cfg.Training.MaxSteps, cfg.Training.Epochs = 0, 1
	cfg.Training.WarmupSteps = 50
	p := filepath.Join(t.TempDir(), "run.yaml")
	require.NoError(t, cfg.Save(p))
	out, err := runCLI(t, t.TempDir(), "train", "--config", p)
	require.NoError(t, err, out)
	// 30 rows less 3 held out: 27 examples, 14 micro-batches of 2.
	require.Contains(t, out, "check: 14 steps (1 epoch(s) over 27 training examples)")
	require.Contains(t, out, "warning: training.warmup_steps: 50 warmup steps with 14 steps in all")
	require.Contains(t, out, "done: 14 steps")
	// The preparation, one line a stage in a log.
	require.Contains(t, out, "preparing: tokenized 0 of 30 rows\n")
	require.Contains(t, out, "preparing: compiling the training step\n")
	require.NotContains(t, out, "preparing: tokenized 30 of 30 rows", "not a line per report")
}
