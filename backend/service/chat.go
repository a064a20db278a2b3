package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// ChatTopic carries streamed answers.
const ChatTopic = "chat.token"

// Chat is the playground: any model, optionally with a run's adapter.
type Chat struct {
	deps   Deps
	runs   *Runs
	engine *chat.Engine

	mu      sync.Mutex
	streams map[string]context.CancelFunc
}

func newChat(deps Deps, r *Runs) *Chat {
	return &Chat{deps: deps, runs: r, engine: chat.NewEngine(model.Options{Backend: deps.compute.backend}, 2), streams: map[string]context.CancelFunc{}}
}

// ChatMessage is one turn of the conversation.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest asks for the next assistant turn. RunID picks a run's base
// model and adapter; otherwise Model (and optionally Adapter) do.
type ChatRequest struct {
	RunID             string        `json:"run_id"`
	Model             string        `json:"model"`
	Adapter           string        `json:"adapter"`
	Messages          []ChatMessage `json:"messages"`
	System            string        `json:"system"`
	Temperature       float64       `json:"temperature"`
	TopP              float64       `json:"top_p"`
	TopK              int           `json:"top_k"`
	MinP              float64       `json:"min_p"`
	RepetitionPenalty float64       `json:"repetition_penalty"`
	MaxNewTokens      int           `json:"max_new_tokens"`
	Seed              uint64        `json:"seed"`
}

// ChatStream identifies an answer being streamed.
type ChatStream struct {
	StreamID string `json:"stream_id"`
}

// ChatToken is one "chat.token" event: a piece of text, or the end.
type ChatToken struct {
	StreamID     string  `json:"stream_id"`
	Text         string  `json:"text"`
	Done         bool    `json:"done"`
	FinishReason string  `json:"finish_reason,omitempty"`
	Tokens       int     `json:"tokens,omitempty"`
	TokensPerS   float64 `json:"tokens_per_s,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// Generate starts answering and returns at once; the answer arrives as
// "chat.token" events with this stream id, the last one with done set.
func (s *Chat) Generate(req ChatRequest) (out ChatStream, err error) {
	defer guard(s.deps.Log, "Chat.Generate", &err)
	if len(req.Messages) == 0 {
		return out, fmt.Errorf("nothing to answer: the conversation is empty")
	}
	if err := req.check(); err != nil {
		return out, err
	}
	modelRef, adapter := req.Model, req.Adapter
	if req.RunID != "" {
		if modelRef, adapter, err = s.runs.adapterOf(req.RunID); err != nil {
			return out, err
		}
	}
	dir, err := (&Models{deps: s.deps}).resolve(modelRef, false)
	if err != nil {
		return out, err
	}
	msgs := make([]chattemplate.Message, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = chattemplate.Message{Role: m.Role, Content: m.Content}
	}
	id, err := newStreamID()
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithCancel(s.deps.Context)
	s.mu.Lock()
	s.streams[id] = cancel
	s.mu.Unlock()
	go s.run(ctx, id, chat.Request{
		ModelDir: dir, AdapterDir: adapter, Messages: msgs, System: req.System, MaxNewTokens: req.MaxNewTokens, Seed: req.Seed,
		Sampling: model.SamplingOptions{Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, MinP: req.MinP, RepetitionPenalty: req.RepetitionPenalty},
	})
	return ChatStream{StreamID: id}, nil
}

// check rejects what the sampler would otherwise silently reinterpret (a
// negative temperature as greedy, top_p 7 as off, -5 new tokens as the
// default) and roles a chat template cannot place, whose template error
// ("turns must alternate") would not name the real problem.
func (r ChatRequest) check() error {
	for i, m := range r.Messages {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return fmt.Errorf("messages[%d].role: %q is not a chat role; use user, assistant or system", i, m.Role)
		}
	}
	switch {
	case r.Temperature < 0:
		return fmt.Errorf("temperature: must be 0 (greedy) or more, got %g", r.Temperature)
	case r.TopP < 0 || r.TopP > 1:
		return fmt.Errorf("top_p: must be between 0 and 1, got %g", r.TopP)
	case r.MinP < 0 || r.MinP > 1:
		return fmt.Errorf("min_p: must be between 0 and 1, got %g", r.MinP)
	case r.TopK < 0:
		return fmt.Errorf("top_k: must be 0 (off) or more, got %d", r.TopK)
	case r.RepetitionPenalty < 0:
		return fmt.Errorf("repetition_penalty: must be 0 (off) or more, got %g", r.RepetitionPenalty)
	case r.MaxNewTokens < 0:
		return fmt.Errorf("max_new_tokens: must be 0 (the default) or more, got %d", r.MaxNewTokens)
	}
	return nil
}

func (s *Chat) run(ctx context.Context, id string, req chat.Request) {
	defer func() {
		s.mu.Lock()
		if cancel, ok := s.streams[id]; ok {
			cancel()
			delete(s.streams, id)
		}
		s.mu.Unlock()
	}()
	var res chat.Result
	var err error
	func() {
		defer guard(s.deps.Log, "Chat.Generate", &err)
		res, err = s.engine.Generate(ctx, req, func(text string) error {
			s.deps.Events.Emit(ChatTopic, ChatToken{StreamID: id, Text: text})
			return nil
		})
	}()
	end := ChatToken{StreamID: id, Done: true, FinishReason: res.FinishReason, Tokens: res.Tokens, TokensPerS: res.TokensPerS}
	if err != nil {
		if ctx.Err() != nil {
			end.FinishReason = "cancelled"
		} else {
			end.Error = err.Error()
			s.deps.Log.Warn().Err(err).Str("stream", id).Msg("chat failed")
		}
	}
	s.deps.Events.Emit(ChatTopic, end)
}

// Cancel stops a stream; its last event reports "cancelled".
func (s *Chat) Cancel(streamID string) (err error) {
	defer guard(s.deps.Log, "Chat.Cancel", &err)
	s.mu.Lock()
	cancel, ok := s.streams[streamID]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("no answer %q is being generated", streamID)
	}
	cancel()
	return nil
}

func newStreamID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("stream id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
