package runconfig

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// FieldError is one problem with one field, addressed by its dotted YAML
// path (for example "training.learning_rate") so a form can show the message
// next to the field it concerns.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError gathers every FieldError of a config.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid run config: " + strings.Join(parts, "; ")
}

// knownTargets are the projection names LoRA may be attached to (the
// model engine adapts the seven linear projections of each layer).
var knownTargets = slices.Clone(allTargets)

// Validate checks every field and returns all problems at once (nil when the
// config is usable). It checks what can be known without touching disk or
// network; whether the model and data exist is checked when the run starts.
func (c Config) Validate() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

	if strings.TrimSpace(c.Model.Source) == "" {
		add("model.source", "is required: a local model directory or a hub id such as google/gemma-3-270m-it")
	}
	if c.Model.Family != "" {
		if _, ok := Presets()[c.Model.Family]; !ok {
			add("model.family", "unknown family %q; use one of %s", c.Model.Family, strings.Join(Families(), ", "))
		}
	}

	if c.LoRA.R < 1 || c.LoRA.R > 1024 {
		add("lora.r", "must be between 1 and 1024, got %d", c.LoRA.R)
	}
	if !finite(c.LoRA.Alpha) || c.LoRA.Alpha <= 0 {
		add("lora.alpha", "must be a positive number, got %v", c.LoRA.Alpha)
	}
	if !finite(c.LoRA.Dropout) || c.LoRA.Dropout < 0 || c.LoRA.Dropout >= 1 {
		add("lora.dropout", "must be in [0, 1), got %v", c.LoRA.Dropout)
	}
	if len(c.LoRA.Targets) == 0 {
		add("lora.targets", "needs at least one module, e.g. %s", strings.Join(allTargets, ", "))
	}
	seen := map[string]bool{}
	for _, t := range c.LoRA.Targets {
		if !slices.Contains(knownTargets, t) {
			add("lora.targets", "unknown module %q; known: %s", t, strings.Join(knownTargets, ", "))
		}
		if seen[t] {
			add("lora.targets", "module %q listed twice", t)
		}
		seen[t] = true
	}

	if strings.TrimSpace(c.Dataset.Path) == "" {
		add("dataset.path", "is required: a local file or directory, or a hub dataset id")
	}
	switch c.Dataset.Format {
	case "", "sharegpt", "openai", "alpaca", "text":
	default:
		add("dataset.format", "unknown format %q; use sharegpt, openai, alpaca or text (or leave empty to detect)", c.Dataset.Format)
	}
	if !finite(c.Dataset.ValFraction) || c.Dataset.ValFraction < 0 || c.Dataset.ValFraction >= 1 {
		add("dataset.val_fraction", "must be in [0, 1), got %v", c.Dataset.ValFraction)
	}
	if c.Dataset.MaxRowMB < 0 || int64(c.Dataset.MaxRowMB)<<20 > dataset.MaxRowBytesLimit {
		add("dataset.max_row_mb", "must be between 0 (the default, %d MB) and %d, got %d", dataset.DefaultMaxRowBytes>>20, dataset.MaxRowBytesLimit>>20, c.Dataset.MaxRowMB)
	}
	if c.Dataset.MaxRows < 0 {
		add("dataset.max_rows", "must be 0 (all rows) or positive, got %d", c.Dataset.MaxRows)
	}

	t := c.Training
	if !finite(t.LearningRate) || t.LearningRate <= 0 || t.LearningRate > 1 {
		add("training.learning_rate", "must be in (0, 1], got %v", t.LearningRate)
	}
	if t.Optimizer != "adamw" {
		add("training.optimizer", "unknown optimizer %q; only adamw is supported", t.Optimizer)
	}
	if !finite(t.WeightDecay) || t.WeightDecay < 0 || t.WeightDecay >= 1 {
		add("training.weight_decay", "must be in [0, 1), got %v", t.WeightDecay)
	}
	if !finite(t.Beta1) || t.Beta1 < 0 || t.Beta1 >= 1 {
		add("training.beta1", "must be in [0, 1), got %v", t.Beta1)
	}
	if !finite(t.Beta2) || t.Beta2 < 0 || t.Beta2 >= 1 {
		add("training.beta2", "must be in [0, 1), got %v", t.Beta2)
	}
	if !finite(t.Epsilon) || t.Epsilon <= 0 {
		add("training.epsilon", "must be positive, got %v", t.Epsilon)
	}
	switch t.Scheduler {
	case "linear", "cosine", "constant":
	default:
		add("training.scheduler", "unknown schedule %q; use linear, cosine or constant", t.Scheduler)
	}
	if t.WarmupSteps < 0 {
		add("training.warmup_steps", "must not be negative, got %d", t.WarmupSteps)
	}
	if t.BatchSize < 1 {
		add("training.batch_size", "must be at least 1, got %d", t.BatchSize)
	}
	if t.GradAccum < 1 {
		add("training.grad_accum", "must be at least 1, got %d", t.GradAccum)
	}
	if t.MaxSteps < 0 {
		add("training.max_steps", "must not be negative, got %d", t.MaxSteps)
	}
	if !finite(t.Epochs) || t.Epochs < 0 {
		add("training.epochs", "must not be negative, got %v", t.Epochs)
	}
	if t.MaxSteps == 0 && t.Epochs == 0 {
		add("training.max_steps", "set max_steps or epochs: with both 0 the run would never stop")
	}
	if t.MaxSeqLen < 8 || t.MaxSeqLen > 1<<20 {
		add("training.max_seq_len", "must be between 8 and 1048576, got %d", t.MaxSeqLen)
	}
	if !finite(t.MaxGradNorm) || t.MaxGradNorm < 0 {
		add("training.max_grad_norm", "must be 0 (no clipping) or positive, got %v", t.MaxGradNorm)
	}
	if t.EvalEvery < 0 {
		add("training.eval_every", "must not be negative, got %d", t.EvalEvery)
	}
	if t.EvalBatches < 0 {
		add("training.eval_batches", "must not be negative, got %d", t.EvalBatches)
	}
	if c.Checkpoint.Every < 0 {
		add("checkpoint.every", "must not be negative, got %d", c.Checkpoint.Every)
	}
	if c.Checkpoint.Keep < 0 {
		add("checkpoint.keep", "must not be negative, got %d", c.Checkpoint.Keep)
	}
	return errs
}

// Check is Validate as an error: nil, or a *ValidationError listing every
// problem.
func (c Config) Check() error {
	if errs := c.Validate(); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}
