package runconfig

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// valid is Default with the two values only a user can supply.
func valid() Config {
	c := Default()
	c.Model.Source, c.Dataset.Path = "org/m", "org/d"
	return c
}

func TestSchemaCoversEveryPathWithItsDefault(t *testing.T) {
	def, err := flatten(Default())
	require.NoError(t, err)
	byPath := map[string]Field{}
	for _, f := range Schema() {
		require.NotContains(t, byPath, f.Path, "path listed twice")
		byPath[f.Path] = f
	}
	// Every leaf the YAML form of a config can hold is described.
	for path := range def {
		require.Contains(t, byPath, path)
	}
	require.Equal(t, KindEnum, byPath["training.scheduler"].Kind)
	require.Equal(t, Schedulers(), byPath["training.scheduler"].Enum)
	require.Equal(t, KindList, byPath["lora.targets"].Kind)
	require.Equal(t, LoRATargets(), byPath["lora.targets"].Default)
	require.Equal(t, KindMap, byPath["dataset.mapping"].Kind)
	require.Equal(t, 2e-4, byPath["training.learning_rate"].Default)
	require.True(t, byPath["model.source"].Required)
	// Schema hands out copies.
	byPath["training.scheduler"].Enum[0] = "changed"
	require.Equal(t, "linear", Schema()[slices.IndexFunc(Schema(), func(f Field) bool { return f.Path == "training.scheduler" })].Enum[0])
}

// set stores x at f's path, converted to the field's type.
func set(c *Config, f Field, x float64) {
	i := slices.IndexFunc(fields(), func(s schemaField) bool { return s.Path == f.Path })
	v := reflect.ValueOf(c).Elem().FieldByIndex(fields()[i].index)
	if f.Kind == KindInt {
		v.SetInt(int64(x))
	} else {
		v.SetFloat(x)
	}
}

// Validate enforces exactly the bounds Schema publishes: each bound is
// accepted when inclusive and refused just past it.
func TestValidateEnforcesTheSchemaBounds(t *testing.T) {
	require.Empty(t, valid().Validate())
	for _, f := range Schema() {
		if f.Kind != KindInt && f.Kind != KindFloat {
			continue
		}
		eps := 1.0
		if f.Kind == KindFloat {
			eps = 1e-9
		}
		try := func(x float64) bool {
			c := valid()
			set(&c, f, x)
			if f.Path == "training.max_steps" || f.Path == "training.epochs" {
				c.Training.MaxSteps, c.Training.Epochs = 1, 1
				set(&c, f, x)
			}
			return !slices.Contains(fieldsOf(c.Validate()), f.Path)
		}
		if f.Min != nil {
			require.Equal(t, !f.MinExclusive, try(*f.Min), "%s at its minimum %v", f.Path, *f.Min)
			require.False(t, try(*f.Min-eps), "%s below its minimum", f.Path)
		}
		if f.Max != nil {
			require.Equal(t, !f.MaxExclusive, try(*f.Max), "%s at its maximum %v", f.Path, *f.Max)
			require.False(t, try(*f.Max+eps), "%s above its maximum", f.Path)
		}
	}
}

func TestValidateMessages(t *testing.T) {
	c := valid()
	c.LoRA.R = 0
	c.Training.MaxSeqLen = 4
	c.LoRA.Dropout = 1
	c.Training.LearningRate = 0
	c.Dataset.MaxRows = -1
	c.Training.Epsilon = 0
	got := map[string]string{}
	for _, e := range c.Validate() {
		got[e.Field] = e.Message
	}
	require.Equal(t, map[string]string{
		"lora.r":                 "must be between 1 and 1024, got 0",
		"training.max_seq_len":   "must be between 8 and 1048576, got 4",
		"lora.dropout":           "must be in [0, 1), got 1",
		"training.learning_rate": "must be in (0, 1], got 0",
		"dataset.max_rows":       "must not be negative, got -1",
		"training.epsilon":       "must be positive, got 0",
	}, got)
}

// The dataset format is checked by the dataset package's own parser, so
// whatever `whetstone train` reads, the form accepts, aliases included.
func TestValidateAcceptsTheDatasetPackagesFormats(t *testing.T) {
	for _, name := range []string{"", "sharegpt", "openai", "alpaca", "text", "chatml", "messages", "conversations"} {
		c := valid()
		c.Dataset.Format = name
		_, err := dataset.ParseFormat(name)
		require.Equal(t, err == nil || name == "", !slices.Contains(fieldsOf(c.Validate()), "dataset.format"), name)
	}
	c := valid()
	c.Dataset.Format = "csv"
	require.Contains(t, fieldsOf(c.Validate()), "dataset.format")
	f := Schema()[slices.IndexFunc(Schema(), func(f Field) bool { return f.Path == "dataset.format" })]
	require.Equal(t, datasetFormats(), f.Enum)
	require.Contains(t, f.Enum, "sharegpt")
	require.True(t, f.Empty)
}

func TestValidateEnums(t *testing.T) {
	c := valid()
	c.Dataset.Truncation = "left"
	c.Training.Optimizer = "sgd"
	c.LoRA.Targets = []string{"q_proj", "q_proj"}
	require.ElementsMatch(t, []string{"dataset.truncation", "training.optimizer", "lora.targets"}, fieldsOf(c.Validate()))
	c = valid()
	c.LoRA.Targets = nil
	require.Equal(t, []string{"lora.targets"}, fieldsOf(c.Validate()))
}

// model.quantization: a select of Quantizations defaulting to none, set
// from the command line, refused by name when unknown; a config written
// before the field (no key, or empty) means none.
func TestQuantizationField(t *testing.T) {
	var f Field
	for _, x := range Schema() {
		if x.Path == "model.quantization" {
			f = x
		}
	}
	require.Equal(t, KindEnum, f.Kind)
	require.Equal(t, []string{"none", "nf4", "int8"}, f.Enum)
	require.Equal(t, "none", f.Default)
	c := Default()
	require.NoError(t, c.Set("model.quantization", "nf4"))
	require.Equal(t, "nf4", c.Model.Quantization)
	require.NoError(t, c.Set("model.quantization", "nf3"))
	err := c.Check()
	require.ErrorContains(t, err, "model.quantization")
	require.ErrorContains(t, err, `"nf3"`)
	old, err := Parse([]byte("model:\n  source: m\n"))
	require.NoError(t, err)
	require.Equal(t, "none", old.Model.Quantization)
	old.Model.Quantization = ""
	for _, e := range old.Validate() {
		require.NotEqual(t, "model.quantization", e.Field, e.Message)
	}
}
