package batch

import (
	"strings"

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

// RenderWithSpans renders msgs and returns what is trained of each
// assistant turn: the template's span of the turn (its content and
// end-of-turn marker, see chattemplate.Renderer.RenderWithSpans) and the
// whitespace after it, up to the next turn or the end of the text. That is
// what Unsloth's train_on_responses_only trains, everything from after the
// response marker up to the next instruction marker: for Gemma 3 the
// answer, <end_of_turn> and the "\n" after it; Llama 3 puts nothing
// between <|eot_id|> and the next header.
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
		end := s.End
		for end < len(text) && strings.IndexByte(" \t\r\n", text[end]) >= 0 {
			end++
		}
		out[i] = Span{Start: s.Start, End: end}
	}
	return text, out, nil
}
