package runconfig

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStepsFromEpochsAndMaxSteps(t *testing.T) {
	c := Default() // batch 2 × 4, 60 steps
	p := c.Steps(150)
	require.Equal(t, StepPlan{Steps: 60, Examples: 150, Epochs: 3.2, Exact: true}, p)

	c.Training.MaxSteps, c.Training.Epochs = 0, 2
	p = c.Steps(150)
	// 75 micro-batches an epoch, 4 a step: ceil(2·75/4) = 38.
	require.Equal(t, StepPlan{Steps: 38, FromEpochs: true, Examples: 150, Epochs: 2, Exact: true}, p)
	require.Equal(t, 38, c.Training.TotalSteps(75))

	require.Equal(t, 0, c.Steps(0).Steps, "epochs-only over uncounted data: unknown")
	c.Training.Packing = true
	require.False(t, c.Steps(150).Exact)
}

func TestProblemsWarnAndRefuse(t *testing.T) {
	c := Default()
	c.Training.MaxSteps = 10_000_000
	c.Training.MaxSeqLen = 100_000
	errs, warns := c.Problems(Facts{ContextLength: 2048, TrainExamples: 150})
	require.Equal(t, []FieldError{{Field: "training.max_seq_len",
		Message: "100,000 is longer than the model's context of 2,048 positions; lower it to 2,048 or less"}}, errs)
	require.Len(t, warns, 1)
	require.Equal(t, "training.max_steps", warns[0].Field)
	require.Contains(t, warns[0].Message, "10,000,000 steps of 8 sequences are about 533,333 passes over the 150 training examples")
	require.Contains(t, warns[0].Message, "set max_steps to 57 for about 3 epochs")
	c.Training.Method = MethodDPO
	_, warns = c.Problems(Facts{ContextLength: 2048, TrainExamples: 150})
	require.Contains(t, warns[0].Message, "steps of 8 pairs are about 533,333 passes over the 150 training pairs", "a preference run counts pairs")

	c = Default()
	c.Training.MaxSteps, c.Training.WarmupSteps = 3, 5
	c.Training.BatchSize = 200
	errs, warns = c.Problems(Facts{TrainExamples: 150})
	require.Equal(t, "training.batch_size", errs[0].Field)
	require.Equal(t, []FieldError{{Field: "training.warmup_steps",
		Message: "5 warmup steps with 3 steps in all: the learning rate never reaches its peak; use fewer than 3 (about a tenth is common)"}}, warns)

	// Nothing known, nothing said; the defaults over 150 rows are fine.
	errs, warns = Default().Problems(Facts{})
	require.Empty(t, errs)
	require.Empty(t, warns)
	errs, warns = Default().Problems(Facts{ContextLength: 32768, TrainExamples: 150})
	require.Empty(t, errs)
	require.Empty(t, warns)
}
