package runconfig

import (
	"fmt"
	"reflect"
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

// Validate checks every field and returns all problems at once (nil when the
// config is usable). It checks what can be known without touching disk or
// network; whether the model and data exist is checked when the run starts.
// Kinds, choices and bounds come from Schema, the description the forms
// read; the checks below it span fields.
func (c Config) Validate() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	v := reflect.ValueOf(c)
	for _, f := range fields() {
		for _, msg := range f.check(v.FieldByIndex(f.index)) {
			add(f.Path, "%s", msg)
		}
	}
	// Each mapping key gets its own path, so a form can put the message
	// next to the entry it concerns.
	_, mapErrs := dataset.ParseMappingKeys(c.Dataset.Mapping)
	for _, e := range mapErrs {
		add("dataset.mapping."+e.Key, "%s", e.Msg)
	}
	if len(c.LoRA.Targets) == 0 {
		add("lora.targets", "needs at least one module, e.g. %s", strings.Join(LoRATargets(), ", "))
	}
	if m := c.Training.Method; (m == MethodDPO || m == MethodORPO) && len(c.LoRA.ModulesToSave) > 0 {
		add("lora.modules_to_save", "training.method %s trains the adapters only (the preference losses do not build a whole LM head's gradient in slices, so a trained head would need a full copy of it per loss chunk); clear it, or train modules with sft or cpt", m)
	}
	if c.Training.MaxSteps == 0 && c.Training.Epochs == 0 {
		add("training.max_steps", "set max_steps or epochs: with both 0 the run would never stop")
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
