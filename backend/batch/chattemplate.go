package batch

import (
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// ChatTemplate adapts a model's chat template renderer to Template.
type ChatTemplate struct {
	Renderer *chattemplate.Renderer
	// Options are passed to every render (e.g. enable_thinking for Qwen 3).
	// A generation prompt is never added: training text ends with the
	// last assistant turn.
	Options chattemplate.Options
}

// RenderWithSpans renders msgs and returns the assistant spans.
func (c ChatTemplate) RenderWithSpans(msgs []dataset.Message) (string, []Span, error) {
	cm := make([]chattemplate.Message, len(msgs))
	for i, m := range msgs {
		cm[i] = chattemplate.Message{Role: m.Role, Content: m.Content}
	}
	opts := c.Options
	opts.AddGenerationPrompt = false
	text, spans, err := c.Renderer.RenderWithSpans(cm, opts)
	if err != nil {
		return "", nil, err
	}
	out := make([]Span, len(spans))
	for i, s := range spans {
		out[i] = Span{Start: s.Start, End: s.End}
	}
	return text, out, nil
}
