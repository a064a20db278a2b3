package chattemplate

import (
	"strings"
	"testing"
)

// caseMessages converts a reference chat case into Messages.
func caseMessages(t *testing.T, c chatCase) []Message {
	t.Helper()
	var out []Message
	for _, m := range c.Messages.([]any) {
		d := m.(*Dict)
		get := func(k string) string {
			v, _ := d.Get(k)
			s, _ := v.(string)
			return s
		}
		msg := Message{Role: get("role"), Content: get("content"), ReasoningContent: get("reasoning_content")}
		if tc, ok := d.Get("tool_calls"); ok {
			for _, call := range tc.([]any) {
				fn, _ := call.(*Dict).Get("function")
				name, _ := fn.(*Dict).Get("name")
				args, _ := fn.(*Dict).Get("arguments")
				msg.ToolCalls = append(msg.ToolCalls, ToolCall{Name: name.(string), Arguments: args})
			}
		}
		out = append(out, msg)
	}
	return out
}

// Per-model facts used only to check the generic span algorithm.
var spanFacts = map[string]struct{ header, end string }{
	"gemma3": {"<start_of_turn>model\n", "<end_of_turn>"},
	"qwen3":  {"<|im_start|>assistant\n", "<|im_end|>"},
	"llama3": {"<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"},
}

// TestSpansRealTemplates checks, for every reference conversation the
// template accepts, that each assistant message gets exactly one span, that
// the span starts right after the assistant header, holds the message's
// visible content and ends with the end-of-turn marker, and that no span
// covers a header.
func TestSpansRealTemplates(t *testing.T) {
	cases := readChatCases(t, "visible")
	models := readModels(t)
	for name, ref := range models {
		t.Run(name, func(t *testing.T) {
			r, err := NewRendererFromTemplate(ref.template, dictToMap(ref.special))
			if err != nil {
				t.Fatal(err)
			}
			facts := spanFacts[name]
			extras := []map[string]any{nil, {"enable_thinking": false}}
			for _, c := range cases {
				if _, isErr := c.Rendered[name].(map[string]string); isErr {
					continue
				}
				msgs := caseMessages(t, c)
				for _, extra := range extras {
					opts := Options{AddGenerationPrompt: c.AddGenerationPrompt, Extra: map[string]any{}}
					if c.Extra != nil {
						for _, k := range c.Extra.Keys() {
							opts.Extra[k], _ = c.Extra.Get(k)
						}
					}
					for k, v := range extra {
						opts.Extra[k] = v
					}
					text, spans, err := r.RenderWithSpans(msgs, opts)
					if err != nil {
						t.Errorf("%s %v: %v", c.ID, extra, err)
						continue
					}
					if extra == nil {
						if want, ok := c.Rendered[name].(string); ok && text != want {
							t.Errorf("%s: RenderWithSpans text differs from the reference", c.ID)
						}
					}
					var assistants []int
					for i, m := range msgs {
						if m.Role == "assistant" {
							assistants = append(assistants, i)
						}
					}
					if len(spans) != len(assistants) {
						t.Errorf("%s: %d spans for %d assistant messages", c.ID, len(spans), len(assistants))
						continue
					}
					prevEnd := 0
					for k, sp := range spans {
						m := msgs[assistants[k]]
						if sp.Message != assistants[k] {
							t.Errorf("%s: span %d is for message %d, want %d", c.ID, k, sp.Message, assistants[k])
						}
						if sp.Start < prevEnd || sp.End < sp.Start || sp.End > len(text) {
							t.Errorf("%s: span %d [%d,%d) out of order", c.ID, k, sp.Start, sp.End)
							continue
						}
						body := text[sp.Start:sp.End]
						// The span starts right after the header, or after the
						// part of Qwen's think block that the generation prompt
						// itself contains (enable_thinking=false).
						h := strings.LastIndex(text[:sp.Start], facts.header)
						gap := ""
						if h >= 0 {
							gap = text[h+len(facts.header) : sp.Start]
						}
						gap = strings.NewReplacer("<think>", "", "</think>", "").Replace(gap)
						if h < 0 || h < prevEnd || strings.TrimSpace(gap) != "" {
							t.Errorf("%s: span %d does not start right after the assistant header: …%q", c.ID, k, tail(text[:sp.Start], 30))
						}
						if !strings.HasSuffix(body, facts.end) {
							t.Errorf("%s: span %d does not end with %q: %q", c.ID, k, facts.end, tail(body, 30))
						}
						if strings.Contains(body, facts.header) {
							t.Errorf("%s: span %d covers a header: %q", c.ID, k, body)
						}
						prevEnd = sp.End
						visible := m.Content
						if j := strings.LastIndex(visible, "</think>"); j >= 0 {
							visible = visible[j+len("</think>"):]
						}
						if v := strings.TrimSpace(visible); !strings.Contains(body, v) {
							t.Errorf("%s: span %d %q lacks the content %q", c.ID, k, body, v)
						}
						for _, other := range msgs {
							if other.Role == "user" && len(strings.TrimSpace(other.Content)) > 8 && strings.Contains(body, strings.TrimSpace(other.Content)) && !strings.Contains(m.Content, strings.TrimSpace(other.Content)) {
								t.Errorf("%s: span %d covers a user message", c.ID, k)
							}
						}
					}
				}
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func dictToMap(d *Dict) map[string]any {
	m := map[string]any{}
	for _, k := range d.Keys() {
		m[k], _ = d.Get(k)
	}
	return m
}

// TestSpansAssistantFirst covers conversations that open with the
// assistant, where templates cannot render the empty prefix.
func TestSpansAssistantFirst(t *testing.T) {
	models := readModels(t)
	msgs := []Message{{Role: "assistant", Content: "Hello, how can I help?"}, {Role: "user", Content: "Tell me a joke."}, {Role: "assistant", Content: "Why did the chicken cross the road?"}}
	for _, name := range []string{"qwen3", "llama3"} {
		ref := models[name]
		r, err := NewRendererFromTemplate(ref.template, dictToMap(ref.special))
		if err != nil {
			t.Fatal(err)
		}
		text, spans, err := r.RenderWithSpans(msgs, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(spans) != 2 {
			t.Fatalf("%s: %d spans", name, len(spans))
		}
		first := text[spans[0].Start:spans[0].End]
		if !strings.HasPrefix(first, msgs[0].Content) || !strings.HasSuffix(first, spanFacts[name].end) {
			t.Errorf("%s: first span %q", name, first)
		}
	}
}
