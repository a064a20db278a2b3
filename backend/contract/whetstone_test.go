package contract

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

func TestHelpTextSpeaksTheConfigsWords(t *testing.T) {
	keys := map[string]string{"BatchSize": "batch_size", "GradAccum": "grad_accum", "Path": ""}
	require.Equal(t,
		"Batch size is sequences per micro-batch (effective batch = batch_size*grad_accum).",
		helpText("BatchSize is sequences per micro-batch (effective batch = BatchSize*GradAccum).", "BatchSize", keys))
	// Another field's name opening the text, an ambiguous name and plain
	// words stay as they are.
	require.Equal(t, "Path is a file; see OtherThing.", helpText("Path is a file; see OtherThing.", "Path", keys))
	require.Equal(t, "Grad accum's steps", helpText("GradAccum's steps", "GradAccum", keys))
}

// The form's help, as generated, names no config field by its Go name.
func TestConfigHelpNamesNoGoField(t *testing.T) {
	ts, err := os.ReadFile(filepath.Join("..", "..", "frontend", "src", "lib", "generated", "contract.ts"))
	require.NoError(t, err)
	_, schema, ok := strings.Cut(string(ts), "export const ConfigSchema")
	require.True(t, ok, "contract.ts has no ConfigSchema")
	schema, _, _ = strings.Cut(schema, "\n};")
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
			if goIdent.MatchString(f.Name) && regexp.MustCompile(`\b`+f.Name+`\b`).MatchString(schema) {
				t.Errorf("the config form's help names the Go field %s", f.Name)
			}
		}
	}
	walk(reflect.TypeFor[runconfig.Config]())
}
