package restapi_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/chat"
)

// A chat completion's weights extension is in the document with its
// choices, from the chat package, and the server takes what the document
// lists and refuses the rest, naming the field.
func TestOpenAIChatTakesTheWeights(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum       []string                  `json:"enum"`
				Properties map[string]map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	e.get("/api/openapi.json").json(t, &doc)
	var want []string
	for _, w := range chat.WeightsChoices() {
		want = append(want, string(w))
	}
	require.Equal(t, append(want, ""), doc.Components.Schemas["Weights"].Enum, "the choices, and empty for the default")
	for _, name := range []string{"ChatCompletionRequestInput", "ChatCompletion"} {
		w, err := json.Marshal(doc.Components.Schemas[name].Properties["weights"])
		require.NoError(t, err)
		require.Contains(t, string(w), `"#/components/schemas/Weights"`, name)
	}

	id := e.firstModelID(t)
	ask := func(weights any) answer {
		return e.post("/v1/chat/completions", map[string]any{
			"model": id, "messages": []map[string]string{{"role": "user", "content": "hi"}},
			"max_tokens": 2, "temperature": 0, "weights": weights,
		})
	}
	a := ask("int8")
	require.Equal(t, 200, a.status, "%s", a.body)
	var c struct {
		Weights string `json:"weights"`
	}
	a.json(t, &c)
	require.Equal(t, "int8", c.Weights)

	for _, bad := range []any{"int4", 8} {
		a = ask(bad)
		require.Equal(t, 400, a.status, "%v: %s", bad, a.body)
		ae := a.apiError(t)
		require.Equal(t, "weights", ae.Field, "%v: %s", bad, ae.Message)
	}
	require.Contains(t, ask("fast").apiError(t).Message, "auto, float32, bfloat16, int8", "the refusal lists the choices")
}
