package runconfig

import (
	"fmt"
	"math"
)

// TotalSteps is the number of optimiser steps a run makes when an epoch
// has microBatchesPerEpoch micro-batches: max_steps, or when that is 0,
// epochs over the data (train.TotalSteps, the trainer's count, is this).
func (t Training) TotalSteps(microBatchesPerEpoch int) int {
	if t.MaxSteps > 0 {
		return t.MaxSteps
	}
	accum := max(1, t.GradAccum)
	return max(1, int(math.Ceil(t.Epochs*float64(microBatchesPerEpoch)/float64(accum))))
}

// StepPlan is how long a run is, as the New run form shows it before
// Start.
type StepPlan struct {
	// Steps is the optimiser steps the run makes; 0 when unknown (an
	// epochs-only run whose data has not been counted).
	Steps int `json:"steps"`
	// FromEpochs is true when Steps was computed from training.epochs.
	FromEpochs bool `json:"from_epochs"`
	// Examples is the training examples counted (0: unknown).
	Examples int `json:"examples"`
	// Epochs is how many passes over the examples the steps make (0:
	// unknown).
	Epochs float64 `json:"epochs"`
	// Exact is false with packing, which joins short examples into fewer
	// micro-batches than the count assumes: the steps are then at most
	// Steps (epochs-only) and the passes at least Epochs.
	Exact bool `json:"exact"`
}

// Steps plans the run's length over trainExamples (0: unknown), counting
// micro-batches as the batcher does without packing: one example per
// sequence, the last micro-batch of an epoch partial.
func (c Config) Steps(trainExamples int) StepPlan {
	t := c.Training
	p := StepPlan{Steps: t.MaxSteps, FromEpochs: t.MaxSteps == 0, Examples: trainExamples, Exact: !t.Packs()}
	if trainExamples <= 0 || t.BatchSize <= 0 {
		if p.FromEpochs {
			p.Steps = 0
		}
		return p
	}
	micro := (trainExamples + t.BatchSize - 1) / t.BatchSize
	p.Steps = t.TotalSteps(micro)
	p.Epochs = float64(p.Steps) * float64(max(1, t.GradAccum)) * float64(t.BatchSize) / float64(trainExamples)
	if p.FromEpochs {
		p.Epochs = t.Epochs
	}
	return p
}

// Facts are what the checks before Start learn from the model and the
// data; a zero is unknown and its checks are skipped.
type Facts struct {
	// ContextLength is the model's max_position_embeddings.
	ContextLength int
	// TrainExamples is the training examples the data holds after the
	// validation split and max_rows.
	TrainExamples int
}

// manyEpochs is where a run's length becomes a warning: a LoRA fine-tune
// overfits within a few passes over its data, so far more passes is
// nearly always a mistyped max_steps or a much smaller dataset than meant.
const manyEpochs = 20

// Problems checks c against what its model and data are (f): errors
// that would stop the run once it has loaded them, so they are refused
// before Start, and warnings about a run that would start but is likely
// not what was meant. Each names its field.
func (c Config) Problems(f Facts) (errs, warnings []FieldError) {
	t := c.Training
	add := func(list *[]FieldError, field, format string, args ...any) {
		*list = append(*list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if f.ContextLength > 0 && t.MaxSeqLen > f.ContextLength {
		add(&errs, "training.max_seq_len", "%s is longer than the model's context of %s positions; lower it to %s or less",
			count(t.MaxSeqLen), count(f.ContextLength), count(f.ContextLength))
	}
	n := f.TrainExamples
	if n > 0 && t.BatchSize > n {
		add(&errs, "training.batch_size", "%d is larger than the %s training examples; lower it to %d or less (raise training.grad_accum for a larger effective batch)",
			t.BatchSize, count(n), n)
	}
	plan := c.Steps(n)
	if plan.Epochs > manyEpochs && !plan.FromEpochs {
		unit, examples := "sequences", "training examples"
		if PreferenceMethod(t.Method) {
			unit, examples = "pairs", "training pairs"
		}
		add(&warnings, "training.max_steps", "%s steps of %d %s are about %s passes over the %s %s; a fine-tune usually needs 1 to 3 (set max_steps to %s for about 3 epochs, or 0 to train by epochs)",
			count(t.MaxSteps), t.BatchSize*max(1, t.GradAccum), unit, count(int(math.Round(plan.Epochs))), count(n), examples, count(plan.stepsFor(3, t)))
	}
	if plan.FromEpochs && t.Epochs > manyEpochs {
		add(&warnings, "training.epochs", "%g passes over the data; a fine-tune usually needs 1 to 3, and many more overfit", t.Epochs)
	}
	if plan.Steps > 0 && t.WarmupSteps >= plan.Steps {
		add(&warnings, "training.warmup_steps", "%s warmup steps with %s steps in all: the learning rate never reaches its peak; use fewer than %s (about a tenth is common)",
			count(t.WarmupSteps), count(plan.Steps), count(plan.Steps))
	}
	return errs, warnings
}

// stepsFor is the steps that make about epochs passes over p.Examples.
func (p StepPlan) stepsFor(epochs float64, t Training) int {
	perStep := t.BatchSize * max(1, t.GradAccum)
	return max(1, int(math.Ceil(epochs*float64(p.Examples)/float64(perStep))))
}

// count writes n with thousands separators, as the form shows numbers.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
