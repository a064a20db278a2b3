package service

import "context"

// Completion is an answer of Complete.
type Completion struct {
	Text         string
	PromptTokens int
	Tokens       int
	// FinishReason is "stop" (the end of the turn or a stop string) or
	// "length" (max_new_tokens or the model's context).
	FinishReason string
}

// Complete answers req in the caller's goroutine, calling onText (when
// non-nil) with each new piece of the answer: for programs that stream it
// themselves (the OpenAI-compatible endpoint) rather than read "chat.token"
// events. It checks and resolves req as Chat.Generate does and generates
// with the same engine, so both answer alike. Cancelling ctx (the client
// went away) or closing the services stops it, returning the partial
// answer with the context's error; an error from onText stops it too. It
// counts against MaxChatStreams with the Chat screen's answers.
func (s *Services) Complete(ctx context.Context, req ChatRequest, onText func(string) error) (out Completion, err error) {
	c := s.Chat
	defer guard(c.deps.Log, "Chat.Complete", &err)
	engine, creq, err := c.prepare(req)
	if err != nil {
		return out, err
	}
	id, err := newStreamID()
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.deps.Context, cancel)
	defer stop()
	if err := c.streams.add(id, cancel); err != nil {
		return out, err
	}
	defer c.streams.remove(id)
	res, err := engine.Generate(ctx, creq, onText)
	out = Completion{Text: res.Text, PromptTokens: res.PromptTokens, Tokens: res.Tokens, FinishReason: res.FinishReason}
	return out, err
}
