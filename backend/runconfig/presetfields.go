package runconfig

import (
	"fmt"
	"reflect"
	"slices"
)

// presetFields are the config paths a preset owns: the hyperparameters
// that come with a family's notebook (LoRA's shape, the optimiser, the
// schedule and the batch). Choosing a preset sets these and nothing
// else: the run's name, model, data, its length (max_steps, epochs),
// sequence length, checkpoints and seed are the user's, kept when the
// preset changes. One list: the form applies a preset by it, and asks
// before replacing any of them the user edited.
var presetFields = []string{
	"lora.r", "lora.alpha", "lora.dropout", "lora.targets", "lora.rslora",
	"training.learning_rate", "training.optimizer", "training.weight_decay",
	"training.beta1", "training.beta2", "training.epsilon",
	"training.scheduler", "training.warmup_steps",
	"training.batch_size", "training.grad_accum", "training.max_grad_norm",
}

// PresetFields lists the config paths a preset owns (see presetFields).
func PresetFields() []string { return slices.Clone(presetFields) }

// Apply returns c with the fields p owns set to p's, and every other
// field as it was.
func (p Preset) Apply(c Config) Config {
	from, to := reflect.ValueOf(p.Config), reflect.ValueOf(&c).Elem()
	for _, f := range fields() {
		if slices.Contains(presetFields, f.Path) {
			v := from.FieldByIndex(f.index)
			if v.Kind() == reflect.Slice && !v.IsNil() {
				v = reflect.AppendSlice(reflect.MakeSlice(v.Type(), 0, v.Len()), v) // no shared backing array
			}
			to.FieldByIndex(f.index).Set(v)
		}
	}
	return c
}

// ApplyPreset is Apply with the preset named by family.
func ApplyPreset(c Config, family string) (Config, error) {
	p, ok := Presets()[family]
	if !ok {
		return c, fmt.Errorf("unknown model family %q (known: %v)", family, Families())
	}
	return p.Apply(c), nil
}
