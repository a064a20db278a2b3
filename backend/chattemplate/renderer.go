package chattemplate

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// Message is one chat turn as chat templates see it.
type Message struct {
	Role    string
	Content string
	// ReasoningContent is the hidden reasoning of an assistant turn (Qwen 3
	// renders it inside <think>...</think>); empty: absent.
	ReasoningContent string
	ToolCalls        []ToolCall
	// Name is the tool or participant name, when the format has one.
	Name string
	// ToolCallID links a tool result to its call.
	ToolCallID string
}

// ToolCall is an assistant's function call in OpenAI form.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is a JSON string or a structured value (map, *Dict); the
	// templates print strings as they are and structures with tojson.
	Arguments any
}

// Options are the per-render variables of apply_chat_template.
type Options struct {
	AddGenerationPrompt bool
	// Extra holds extra template variables (enable_thinking, tools, ...);
	// they override the defaults, as kwargs do in transformers.
	Extra map[string]any
}

// Renderer renders a model's chat template with the model's special tokens,
// as transformers' apply_chat_template does.
type Renderer struct {
	tpl     *Template
	special map[string]any
	// trailers caches, per set of extra variables, the render of no
	// messages (see RenderWithSpans); safe for concurrent use.
	trailers sync.Map
}

// NewRenderer parses the chat template of cfg.
func NewRenderer(cfg tokenizer.Config) (*Renderer, error) {
	if strings.TrimSpace(cfg.ChatTemplate) == "" {
		return nil, errors.New("chat template: the model has no chat_template (tokenizer_config.json or chat_template.jinja)")
	}
	tpl, err := Parse(cfg.ChatTemplate)
	if err != nil {
		return nil, err
	}
	return &Renderer{tpl: tpl, special: cfg.SpecialTokens}, nil
}

// NewRendererFromTemplate builds a renderer for a template source and a
// special-token context (transformers' special_tokens_map).
func NewRendererFromTemplate(src string, special map[string]any) (*Renderer, error) {
	tpl, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return &Renderer{tpl: tpl, special: special}, nil
}

// NormalizeRole maps the role names found in datasets to the ones chat
// templates expect: human/user -> user, gpt/model/bot/assistant ->
// assistant, system, and function/ipython/tool -> tool. Others are kept
// lowercased.
func NormalizeRole(role string) string {
	r := strings.ToLower(strings.TrimSpace(role))
	switch r {
	case "human", "user", "usr":
		return "user"
	case "gpt", "model", "bot", "assistant", "chatgpt", "ai":
		return "assistant"
	case "system", "sys":
		return "system"
	case "tool", "function", "ipython", "observation":
		return "tool"
	}
	return r
}

func messageValue(m Message) *Dict {
	d := NewDict()
	d.Set("role", NormalizeRole(m.Role))
	d.Set("content", m.Content)
	if m.ReasoningContent != "" {
		d.Set("reasoning_content", m.ReasoningContent)
	}
	if m.Name != "" {
		d.Set("name", m.Name)
	}
	if m.ToolCallID != "" {
		d.Set("tool_call_id", m.ToolCallID)
	}
	if len(m.ToolCalls) > 0 {
		calls := make([]any, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			fn := NewDict()
			fn.Set("name", c.Name)
			fn.Set("arguments", FromGo(c.Arguments))
			call := NewDict()
			if c.ID != "" {
				call.Set("id", c.ID)
			}
			call.Set("type", "function")
			call.Set("function", fn)
			calls[i] = call
		}
		d.Set("tool_calls", calls)
	}
	return d
}

// Render renders msgs.
func (r *Renderer) Render(msgs []Message, opts Options) (string, error) {
	vars := map[string]any{
		"tools":                 nil,
		"documents":             nil,
		"add_generation_prompt": opts.AddGenerationPrompt,
	}
	for k, v := range r.special {
		vars[k] = v
	}
	list := make([]any, len(msgs))
	for i, m := range msgs {
		list[i] = messageValue(m)
	}
	vars["messages"] = list
	for k, v := range opts.Extra {
		vars[k] = v
	}
	return r.tpl.Render(vars)
}

// Span is a byte range [Start, End) of rendered text.
type Span struct {
	Start, End int
	// Message is the index of the assistant message the span belongs to.
	Message int
}

// RenderWithSpans renders msgs and returns, for every assistant message, the
// byte span of its turn in the text: what the model must learn to produce,
// i.e. the content (with whatever the template puts around it, such as
// Qwen's <think> block) and the end-of-turn marker, without the role header
// or the separator whitespace after the marker.
//
// The spans come from the template itself, not from per-model markers:
//
//   - start: the conversation before turn i, rendered with the generation
//     prompt, must be a prefix of the full text; the turn starts where it
//     ends (so the header is exactly the template's generation prompt). A
//     conversation that opens with the assistant uses what precedes the
//     content in a render of that turn alone, with a sentinel content.
//   - end: the conversation up to turn i rendered without the generation
//     prompt, minus the trailer the template appends whatever the messages
//     (Llama 3.0 always adds an assistant header; it is found by rendering
//     no messages), gives the turn's text. When the full text continues with
//     exactly that, the turn ends there. Templates that rewrite earlier turns
//     (Qwen 3 drops the reasoning of turns before the last user query) fall
//     back to searching forward for the turn's closing text, taken from a
//     render where the content is replaced by a sentinel.
//
// A template whose earlier output changes with later messages in any other
// way gets a clear error naming the turn.
//
// Encode the text with addSpecial=false, as apply_chat_template does: the
// templates insert BOS themselves.
func (r *Renderer) RenderWithSpans(msgs []Message, opts Options) (string, []Span, error) {
	full, err := r.Render(msgs, opts)
	if err != nil {
		return "", nil, err
	}
	noGen := Options{Extra: opts.Extra}
	withGen := Options{AddGenerationPrompt: true, Extra: opts.Extra}
	trailer := r.trailer(noGen)
	var spans []Span
	minStart := 0
	for i, m := range msgs {
		if NormalizeRole(m.Role) != "assistant" {
			continue
		}
		pre, err := r.turnStart(msgs, i, full, withGen, noGen)
		if err != nil {
			return "", nil, err
		}
		if len(pre) < minStart {
			return "", nil, fmt.Errorf("assistant span of message %d: the template is not prefix-stable (the turn starts inside the previous one)", i)
		}
		start := len(pre)
		upto := full // the last message, rendered without the generation prompt
		if i < len(msgs)-1 || opts.AddGenerationPrompt {
			if upto, err = r.Render(msgs[:i+1], noGen); err != nil {
				return "", nil, fmt.Errorf("assistant span of message %d: %w", i, err)
			}
		}
		turn, ok := turnText(upto, pre, trailer)
		end := -1
		if ok && strings.HasPrefix(full[start:], turn) {
			end = start + len(turn)
		} else {
			end, err = r.searchTurnEnd(msgs, i, full, start, trailer)
			if err != nil {
				return "", nil, err
			}
		}
		end = trimTrailingSpace(full, start, end)
		spans = append(spans, Span{Start: start, End: end, Message: i})
		minStart = end
	}
	return full, spans, nil
}

// trailer is what the template renders for no messages (Llama 3.0 always
// appends an assistant header), "" when it cannot render them. It depends
// only on the extra variables, so it is rendered once per set of them
// (fmt prints maps with sorted keys, which makes a stable cache key).
func (r *Renderer) trailer(opts Options) string {
	key := fmt.Sprint(opts.Extra)
	if t, ok := r.trailers.Load(key); ok {
		return t.(string)
	}
	t, err := r.Render(nil, opts)
	if err != nil {
		t = ""
	}
	r.trailers.Store(key, t)
	return t
}

// turnStart returns the text before assistant turn i, header included: the
// conversation before it rendered with the generation prompt. When the full
// text shows a shorter header there (Qwen 3 with enable_thinking=false adds
// an empty <think> block to the prompt but not to earlier turns), the
// generation prompt's first line (the role header) is used when the full
// text repeats it, so a rendered <think> block stays inside the turn.
func (r *Renderer) turnStart(msgs []Message, i int, full string, withGen, noGen Options) (string, error) {
	pre, err := r.Render(msgs[:i], withGen)
	if i == 0 && (err != nil || !strings.HasPrefix(full, pre)) {
		// Many templates cannot render an empty conversation (or render
		// it without the BOS); the header of a conversation that opens
		// with the assistant is then what precedes its content in a
		// render of that turn alone.
		probe := []Message{msgs[0]}
		probe[0].Content, probe[0].ReasoningContent, probe[0].ToolCalls = sentinel, "", nil
		out, perr := r.Render(probe, noGen)
		if k := strings.Index(out, sentinel); perr == nil && k >= 0 && strings.HasPrefix(full, out[:k]) {
			return out[:k], nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("assistant span of message %d: rendering the turns before it: %w", i, err)
	}
	if strings.HasPrefix(full, pre) {
		return pre, nil
	}
	base, err := r.Render(msgs[:i], noGen)
	if err != nil || !strings.HasPrefix(full, base) || !strings.HasPrefix(pre, base) {
		return "", fmt.Errorf("assistant span of message %d: the template is not prefix-stable (the conversation before the turn renders differently inside the full conversation)", i)
	}
	prompt, rest := pre[len(base):], full[len(base):]
	n := 0
	for n < len(prompt) && n < len(rest) && prompt[n] == rest[n] {
		n++
	}
	if k := strings.IndexByte(prompt[:n], '\n'); k >= 0 {
		n = k + 1 // keep the role line; what follows belongs to the turn
	}
	if n == 0 {
		return "", fmt.Errorf("assistant span of message %d: the full conversation does not contain the template's assistant header here", i)
	}
	return full[:len(base)+n], nil
}

// turnText is the text that turn i adds when it is the last message.
func turnText(upto, pre, trailer string) (string, bool) {
	if trailer != "" && strings.HasSuffix(upto, trailer) && len(upto)-len(trailer) >= len(pre) {
		upto = upto[:len(upto)-len(trailer)]
	}
	if !strings.HasPrefix(upto, pre) {
		return "", false
	}
	return upto[len(pre):], true
}

// sentinel replaces an assistant's content to find the template's closing
// text of a turn.
const sentinel = "\u2063whetstone-turn-end\u2063"

// searchTurnEnd finds the end of assistant turn i in full when the template
// renders the turn differently once later messages exist.
func (r *Renderer) searchTurnEnd(msgs []Message, i int, full string, start int, trailer string) (int, error) {
	probe := append([]Message(nil), msgs[:i+1]...)
	probe[i].Content = sentinel
	probe[i].ReasoningContent = ""
	probe[i].ToolCalls = nil
	out, err := r.Render(probe, Options{})
	if err != nil {
		return 0, fmt.Errorf("assistant span of message %d: %w", i, err)
	}
	k := strings.LastIndex(out, sentinel)
	if k < 0 {
		return 0, fmt.Errorf("assistant span of message %d: the template does not print the message content", i)
	}
	closing := out[k+len(sentinel):]
	if trailer != "" {
		closing = strings.TrimSuffix(closing, trailer)
	}
	closing = strings.TrimRight(closing, " \t\r\n")
	if closing == "" {
		return 0, fmt.Errorf("assistant span of message %d: the template closes assistant turns with nothing to search for", i)
	}
	// Skip past the visible content first, so a closing marker quoted
	// inside it is not taken for the real one.
	from := start
	content := msgs[i].Content
	if j := strings.LastIndex(content, "</think>"); j >= 0 {
		content = content[j+len("</think>"):]
	}
	if tail := lastBytes(strings.TrimSpace(content), 48); tail != "" {
		if j := strings.Index(full[start:], tail); j >= 0 {
			from = start + j + len(tail)
		}
	}
	j := strings.Index(full[from:], closing)
	if j < 0 {
		return 0, fmt.Errorf("assistant span of message %d: cannot find the end of the turn (%q) in the rendered text", i, closing)
	}
	return from + j + len(closing), nil
}

func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	k := len(s) - n
	for k < len(s) && s[k]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		k++
	}
	return s[k:]
}

func trimTrailingSpace(s string, start, end int) int {
	for end > start {
		switch s[end-1] {
		case ' ', '\t', '\r', '\n':
			end--
			continue
		}
		break
	}
	return end
}

// TokenMask marks the tokens that belong to a span: a token is trainable
// when its first byte lies inside one. offsets are byte spans as returned by
// tokenizer.EncodeOffsets; tokens with empty spans (added BOS) never are.
func TokenMask(offsets [][2]int, spans []Span) []bool {
	mask := make([]bool, len(offsets))
	k := 0
	for i, o := range offsets {
		if o[1] <= o[0] {
			continue
		}
		for k < len(spans) && spans[k].End <= o[0] {
			k++
		}
		if k < len(spans) && o[0] >= spans[k].Start && o[0] < spans[k].End {
			mask[i] = true
		}
	}
	return mask
}
