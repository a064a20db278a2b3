package service

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// TokenizeRequest asks for the token ids of a text under a model's
// tokenizer (`whetstone tokenize`).
type TokenizeRequest struct {
	// Model is a local folder or a hub id; a hub model's small files are
	// fetched, not its weights.
	Model string `json:"model"`
	Text  string `json:"text"`
	// Special adds the special tokens of the tokenizer's post-processor
	// (e.g. BOS).
	Special bool `json:"special"`
}

// Tokenize returns the token ids of req.Text, as training would encode it.
func (s *Models) Tokenize(req TokenizeRequest) (ids []int, err error) {
	defer guard(s.deps.Log, "Models.Tokenize", &err)
	if !utf8.ValidString(req.Text) {
		return nil, invalidf("text: not valid UTF-8")
	}
	tk, err := s.tokenizer(req.Model)
	if err != nil {
		return nil, err
	}
	ids = tk.Encode(req.Text, req.Special)
	if ids == nil {
		ids = []int{}
	}
	return ids, nil
}

// TemplateRequest renders a model's chat template for a conversation
// (`whetstone template`), as transformers' apply_chat_template does with
// tokenize=False.
type TemplateRequest struct {
	// Model is a local folder or a hub id holding the tokenizer files and
	// the chat template.
	Model string `json:"model"`
	// Messages is the conversation as JSON: a list of {"role", "content"}
	// objects (tool calls and reasoning_content too), as
	// apply_chat_template takes it.
	Messages string `json:"messages"`
	// AddGenerationPrompt appends the assistant header.
	AddGenerationPrompt bool `json:"add_generation_prompt"`
	// Kwargs is a JSON object of extra template variables, e.g.
	// {"enable_thinking": false}; empty for none.
	Kwargs string `json:"kwargs"`
	// Spans also finds the byte ranges trained on with train-on-responses
	// (the template is rendered a few more times).
	Spans bool `json:"spans"`
}

// TemplateResult is the rendered text and, when asked for, its spans.
type TemplateResult struct {
	Text  string         `json:"text"`
	Spans []TemplateSpan `json:"spans"`
}

// TemplateSpan is the part of the text one assistant message trains.
type TemplateSpan struct {
	Start int `json:"start"`
	End   int `json:"end"`
	// Message is the index of the assistant message in the conversation.
	Message int    `json:"message"`
	Text    string `json:"text"`
}

// Template renders req.Messages with the model's chat template.
func (s *Models) Template(req TemplateRequest) (out TemplateResult, err error) {
	defer guard(s.deps.Log, "Models.Template", &err)
	opts := chattemplate.Options{AddGenerationPrompt: req.AddGenerationPrompt}
	if strings.TrimSpace(req.Kwargs) != "" {
		v, err := chattemplate.DecodeJSON([]byte(req.Kwargs))
		if err != nil {
			return out, invalidf("kwargs: %v", err)
		}
		d, ok := v.(*chattemplate.Dict)
		if !ok {
			return out, invalidf("kwargs: must be a JSON object")
		}
		opts.Extra = map[string]any{}
		for _, k := range d.Keys() {
			opts.Extra[k], _ = d.Get(k)
		}
	}
	msgs, err := chattemplate.ParseMessages([]byte(req.Messages))
	if err != nil {
		return out, invalid(err)
	}
	// Templates index messages[0]; with none they fail with a message
	// about an undefined name that says nothing useful.
	if len(msgs) == 0 {
		return out, invalidf("messages: the message list is empty: give at least one {\"role\", \"content\"} message")
	}
	tk, err := s.tokenizer(req.Model)
	if err != nil {
		return out, err
	}
	r, err := chattemplate.NewRenderer(tk.Config())
	if err != nil {
		return out, fmt.Errorf("%s: %w", req.Model, err)
	}
	out.Spans = []TemplateSpan{}
	if !req.Spans {
		if out.Text, err = r.Render(msgs, opts); err != nil {
			return out, fmt.Errorf("chat template of %s: %w", req.Model, err)
		}
		return out, nil
	}
	text, spans, err := r.RenderWithSpans(msgs, opts)
	if err != nil {
		return out, fmt.Errorf("chat template of %s: %w", req.Model, err)
	}
	out.Text = text
	for _, sp := range spans {
		out.Spans = append(out.Spans, TemplateSpan{Start: sp.Start, End: sp.End, Message: sp.Message, Text: text[sp.Start:sp.End]})
	}
	return out, nil
}

// tokenizer loads a model's tokenizer, fetching only a hub model's small
// files.
func (s *Models) tokenizer(ref string) (*tokenizer.Tokenizer, error) {
	dir, err := s.resolve(ref, true)
	if err != nil {
		return nil, err
	}
	return tokenizer.Load(dir)
}
