package runconfig

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPresetFieldsAreSchemaPaths(t *testing.T) {
	paths := map[string]bool{}
	for _, f := range Schema() {
		paths[f.Path] = true
	}
	for _, p := range PresetFields() {
		require.True(t, paths[p], "%s is not a config path", p)
	}
	for fam, p := range Presets() {
		require.Equal(t, PresetFields(), p.Owns, fam)
	}
}

// Switching preset changes the hyperparameters the preset owns and keeps
// the rest: the name, the model and data, the steps.
func TestApplyPresetKeepsTheUsersFields(t *testing.T) {
	c := Default()
	c.Name, c.Model.Source, c.Dataset.Path = "my run", "google/gemma-3-1b-it", "chats.jsonl"
	c.Training.MaxSteps, c.Training.MaxSeqLen, c.Seed = 500, 1024, 7
	c.Training.LearningRate = 1e-4
	out, err := ApplyPreset(c, "qwen3")
	require.NoError(t, err)
	require.Equal(t, 32, out.LoRA.R)
	require.Equal(t, 2e-4, out.Training.LearningRate, "learning_rate is the preset's")

	owned := map[string]bool{}
	for _, p := range PresetFields() {
		owned[p] = true
	}
	before, after := reflect.ValueOf(c), reflect.ValueOf(out)
	qwen := reflect.ValueOf(Presets()["qwen3"].Config)
	for _, f := range fields() {
		want := before.FieldByIndex(f.index).Interface()
		if owned[f.Path] {
			want = qwen.FieldByIndex(f.index).Interface()
		}
		require.Equal(t, want, after.FieldByIndex(f.index).Interface(), f.Path)
	}
	// No shared slices: editing the result leaves the preset alone.
	out.LoRA.Targets[0] = "x"
	require.NotEqual(t, "x", Presets()["qwen3"].Config.LoRA.Targets[0])

	_, err = ApplyPreset(c, "gpt2")
	require.ErrorContains(t, err, `"gpt2"`)
}
