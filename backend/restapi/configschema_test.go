package restapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// The run config's choices and bounds reach the document from runconfig's
// schema: a program reads training.method's methods and the learning
// rate's range there, as the form does.
func TestDocumentHasTheConfigsChoicesAndBounds(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "openapi.json"))
	require.NoError(t, err)
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(data, &d))
	for _, name := range []string{"Training", "TrainingInput"} {
		props := d.Components.Schemas[name].Properties
		require.NotNil(t, props, name)
		var methods []string
		for _, m := range props["method"]["enum"].([]any) {
			methods = append(methods, m.(string))
		}
		require.Equal(t, runconfig.Methods(), methods, name)
		require.EqualValues(t, 0, props["learning_rate"]["exclusiveMinimum"], name)
		require.EqualValues(t, 1, props["learning_rate"]["maximum"], name)
		require.EqualValues(t, 0.5, props["dpo_label_smoothing"]["exclusiveMaximum"], name)
	}
	targets := d.Components.Schemas["LoRA"].Properties["targets"]["items"].(map[string]any)["enum"].([]any)
	require.Len(t, targets, len(runconfig.LoRATargets()))
}
