package export

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
)

type chatCase struct {
	ID                  string          `json:"id"`
	Messages            []ollamaMessage `json:"messages"`
	AddGenerationPrompt bool            `json:"add_generation_prompt"`
	Extra               map[string]any  `json:"extra"`
	Rendered            map[string]any  `json:"rendered"`
}

// ollamaMessage has the fields Ollama's template data gives each message.
type ollamaMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// TestOllamaTemplatesMatchHuggingFace renders the Modelfile templates with
// text/template (Ollama's engine) and compares them with the reference
// renderings of each model's own chat template, for every reference
// conversation that ends with a user turn.
func TestOllamaTemplatesMatchHuggingFace(t *testing.T) {
	var cases []chatCase
	data, err := os.ReadFile(sharedtest.Path(t, "refsets", "visible", "chat_cases.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cases))
	families := map[string]struct {
		arch model.Arch
		bos  string
	}{"gemma3": {model.Gemma3, "<bos>"}, "llama3": {model.Llama, "<|begin_of_text|>"}, "qwen3": {model.Qwen3, ""}}
	for fam, f := range families {
		tmpl, err := template.New(fam).Parse(ollamaTemplates[f.arch])
		require.NoError(t, err, fam)
		checked := 0
		for _, c := range cases {
			want, ok := c.Rendered[fam].(string)
			if !ok || !c.AddGenerationPrompt || len(c.Extra) > 0 || c.Messages[len(c.Messages)-1].Role != "user" {
				continue
			}
			trimmed := true
			for _, m := range c.Messages {
				if m.Role != "user" && m.Role != "assistant" && m.Role != "system" {
					trimmed = false
				}
				if fam != "qwen3" && m.Content != strings.TrimSpace(m.Content) {
					trimmed = false // Gemma's and Llama's templates trim; Go templates cannot
				}
			}
			if !trimmed {
				continue
			}
			var b strings.Builder
			require.NoError(t, tmpl.Execute(&b, map[string]any{"Messages": c.Messages}), "%s %s", fam, c.ID)
			require.Equal(t, strings.TrimPrefix(want, f.bos), b.String(), "%s %s", fam, c.ID)
			checked++
		}
		require.GreaterOrEqual(t, checked, 4, fam)
		t.Logf("%s: Ollama template equals the Hugging Face rendering on %d conversations", fam, checked)
	}
}
