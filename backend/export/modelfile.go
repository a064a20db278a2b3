package export

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// Ollama chat templates (Go text/template over .Messages, which includes
// system messages) per family. Ollama cannot run the Jinja template
// embedded in the GGUF, so the Modelfile carries an equivalent one; each
// renders what the model's Hugging Face template renders for a
// conversation ending with a user turn (without BOS, which llama.cpp adds).
var ollamaTemplates = map[model.Arch]string{
	// Gemma has no system role: the system message opens the first user
	// turn, separated by a blank line.
	model.Gemma3: `{{- $system := "" }}{{ $hasSystem := false }}
{{- range .Messages }}{{ if eq .Role "system" }}{{ $system = .Content }}{{ $hasSystem = true }}{{ end }}{{ end }}
{{- $first := true }}
{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq $m.Role "user" }}<start_of_turn>user
{{ if and $first $hasSystem }}{{ $system }}

{{ end }}{{ $m.Content }}<end_of_turn>
{{ $first = false }}
{{- if $last }}<start_of_turn>model
{{ end }}
{{- else if eq $m.Role "assistant" }}<start_of_turn>model
{{ $m.Content }}{{ if not $last }}<end_of_turn>
{{ end }}
{{- end }}
{{- end }}`,
	model.Llama: `{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}<|start_header_id|>{{ $m.Role }}<|end_header_id|>

{{ $m.Content }}{{ if or (ne $m.Role "assistant") (not $last) }}<|eot_id|>{{ end }}
{{- if and $last (ne $m.Role "assistant") }}<|start_header_id|>assistant<|end_header_id|>

{{ end }}
{{- end }}`,
	model.Qwen2: chatMLTemplate,
	model.Qwen3: chatMLTemplate,
}

const chatMLTemplate = `{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}<|im_start|>{{ $m.Role }}
{{ $m.Content }}{{ if or (ne $m.Role "assistant") (not $last) }}<|im_end|>
{{ end }}
{{- if and $last (ne $m.Role "assistant") }}<|im_start|>assistant
{{ end }}
{{- end }}`

// stopTokens lists the end-of-turn markers per family.
var stopTokens = map[model.Arch][]string{
	model.Gemma3: {"<end_of_turn>"},
	model.Llama:  {"<|eot_id|>", "<|end_of_text|>"},
	model.Qwen2:  {"<|im_end|>", "<|endoftext|>"},
	model.Qwen3:  {"<|im_end|>", "<|endoftext|>"},
}

// generationConfig is the sampling part of generation_config.json.
type generationConfig struct {
	Temperature       *float64 `json:"temperature"`
	TopP              *float64 `json:"top_p"`
	TopK              *int     `json:"top_k"`
	RepetitionPenalty *float64 `json:"repetition_penalty"`
}

// modelfile renders an Ollama Modelfile for ggufName (a file in the same
// directory), with the family's template, stop tokens and the sampling
// defaults of the base model's generation_config.json.
func modelfile(baseDir string, cfg *model.Config, ggufName string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# Ollama Modelfile written by Whetstone. Create the model with:\n#   ollama create my-model -f Modelfile\n")
	fmt.Fprintf(&b, "FROM ./%s\n", ggufName)
	if t, ok := ollamaTemplates[cfg.Arch]; ok {
		fmt.Fprintf(&b, "TEMPLATE \"\"\"%s\"\"\"\n", t)
	}
	for _, s := range stopTokens[cfg.Arch] {
		fmt.Fprintf(&b, "PARAMETER stop %q\n", s)
	}
	path := filepath.Join(baseDir, "generation_config.json")
	if data, err := os.ReadFile(path); err == nil {
		var g generationConfig
		if err := json.Unmarshal(data, &g); err != nil {
			return "", fmt.Errorf("parse %s: %w", path, err)
		}
		params := map[string]string{}
		if g.Temperature != nil {
			params["temperature"] = fmt.Sprint(*g.Temperature)
		}
		if g.TopP != nil {
			params["top_p"] = fmt.Sprint(*g.TopP)
		}
		if g.TopK != nil {
			params["top_k"] = fmt.Sprint(*g.TopK)
		}
		if g.RepetitionPenalty != nil {
			params["repeat_penalty"] = fmt.Sprint(*g.RepetitionPenalty)
		}
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "PARAMETER %s %s\n", k, params[k])
		}
	} else if !os.IsNotExist(err) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return b.String(), nil
}
