package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/quote"
)

// ChatTopic carries streamed answers.
const ChatTopic = "chat.token"

// Chat is the playground: any model, optionally with a run's adapter.
type Chat struct {
	deps    Deps
	runs    *Runs
	engine  *chatEngine
	streams *chatStreams
}

// chatEngine is the engine answers are generated with, made at the first
// answer, on the compute backend (which it may open).
type chatEngine struct {
	compute *computeBackend
	once    sync.Once
	engine  *chat.Engine
	err     error
}

func (e *chatEngine) get() (*chat.Engine, error) {
	e.once.Do(func() {
		c, err := e.compute.open()
		if err != nil {
			e.err = err
			return
		}
		e.engine = chat.NewEngine(model.Options{Backend: c.backend}, 2)
	})
	return e.engine, e.err
}

// MaxChatStreams bounds the answers generated at once: each holds a model
// and its KV cache, and a client that starts streams in a loop must not
// exhaust the machine.
const MaxChatStreams = 4

// ErrBusy marks a refusal for want of capacity (MaxChatStreams answers
// are being generated): the same request may succeed later.
var ErrBusy = errors.New("busy")

// busy is a refusal for want of capacity, its message unchanged.
type busy struct{ err error }

func (e busy) Error() string   { return e.err.Error() }
func (e busy) Unwrap() []error { return []error{ErrBusy, e.err} }

// chatStreams are the answers being generated, by stream id.
type chatStreams struct {
	mu     sync.Mutex
	cancel map[string]context.CancelFunc
}

func newChat(deps Deps, r *Runs) *Chat {
	return &Chat{deps: deps, runs: r, engine: &chatEngine{compute: deps.compute},
		streams: &chatStreams{cancel: map[string]context.CancelFunc{}}}
}

// add registers a stream, refusing one past MaxChatStreams.
func (c *chatStreams) add(id string, cancel context.CancelFunc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cancel) >= MaxChatStreams {
		return busy{fmt.Errorf("%d answers are already being generated: stop one or wait for it to finish", len(c.cancel))}
	}
	c.cancel[id] = cancel
	return nil
}

// remove cancels and forgets a stream.
func (c *chatStreams) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel, ok := c.cancel[id]; ok {
		cancel()
		delete(c.cancel, id)
	}
}

// get returns a stream's cancel function.
func (c *chatStreams) get(id string) (context.CancelFunc, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cancel, ok := c.cancel[id]
	return cancel, ok
}

// ChatMessage is one turn of the conversation.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest asks for the next assistant turn. RunID picks a run's base
// model and adapter; otherwise Model (and optionally Adapter) do.
// Problems with it are invalid requests (ErrInvalidRequest) whose
// messages start with the field at fault ("top_p: ...", "stop[1]: ...").
type ChatRequest struct {
	RunID       string        `json:"run_id"`
	Model       string        `json:"model"`
	Adapter     string        `json:"adapter"`
	Messages    []ChatMessage `json:"messages"`
	System      string        `json:"system"`
	Temperature float64       `json:"temperature"`
	TopP        float64       `json:"top_p"`
	TopK        int           `json:"top_k"`
	MinP        float64       `json:"min_p"`
	// RepetitionPenalty above 1 discourages tokens already in the
	// conversation or the answer (positive logits divided by it, negative
	// ones multiplied); 0 or 1 is off.
	RepetitionPenalty float64 `json:"repetition_penalty,omitempty"`
	MaxNewTokens      int     `json:"max_new_tokens"`
	Seed              uint64  `json:"seed"`
	// Stop ends the answer at the first of these strings (at most
	// MaxStopStrings of at most MaxStopChars characters), which is left
	// out of it.
	Stop []string `json:"stop,omitempty"`
	// Weights is how the base weights are kept while answering: exact
	// float32, or bfloat16 or int8 for faster answers from a large model.
	// Empty is auto (see chat.WeightsAuto).
	Weights chat.Weights `json:"weights,omitempty"`
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
	// Weights, on the last event, is how the base weights were kept
	// (auto resolved); empty when the model did not load.
	Weights chat.Weights `json:"weights,omitempty"`
}

// Generate starts answering and returns at once; the answer arrives as
// "chat.token" events with this stream id, the last one with done set.
func (s *Chat) Generate(req ChatRequest) (out ChatStream, err error) {
	defer guard(s.deps.Log, "Chat.Generate", &err)
	engine, creq, err := s.prepare(req)
	if err != nil {
		return out, err
	}
	id, err := newStreamID()
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithCancel(s.deps.Context)
	if err := s.streams.add(id, cancel); err != nil {
		cancel()
		return out, err
	}
	go s.run(ctx, id, engine, creq)
	return ChatStream{StreamID: id}, nil
}

// prepare checks req and resolves its model and adapter into the engine's
// request: what the Chat screen's streams and Services.Complete share.
func (s *Chat) prepare(req ChatRequest) (*chat.Engine, chat.Request, error) {
	if len(req.Messages) == 0 {
		return nil, chat.Request{}, invalidf("nothing to answer: the conversation is empty")
	}
	if err := req.check(); err != nil {
		return nil, chat.Request{}, err
	}
	modelRef, adapter := req.Model, req.Adapter
	var err error
	if modelRef, err = s.deps.checkRef(modelRef); err != nil {
		return nil, chat.Request{}, err
	}
	if adapter != "" {
		if adapter, err = s.deps.checkPath(adapter); err != nil {
			return nil, chat.Request{}, err
		}
	}
	quantization := ""
	if req.RunID != "" {
		if modelRef, adapter, _, err = s.runs.adapterOf(req.RunID); err != nil {
			return nil, chat.Request{}, err
		}
		if quantization, err = s.runs.quantizationOf(req.RunID); err != nil {
			return nil, chat.Request{}, err
		}
	}
	dir, err := s.deps.modelDir(modelRef, false)
	if err != nil {
		return nil, chat.Request{}, err
	}
	engine, err := s.engine.get()
	if err != nil {
		return nil, chat.Request{}, err
	}
	msgs := make([]chattemplate.Message, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = chattemplate.Message{Role: m.Role, Content: m.Content}
	}
	return engine, chat.Request{
		ModelDir: dir, AdapterDir: adapter, Quantization: quantization, Weights: req.Weights, Messages: msgs, System: req.System, MaxNewTokens: req.MaxNewTokens, Seed: req.Seed, Stop: req.Stop,
		Sampling: model.SamplingOptions{Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, MinP: req.MinP, RepetitionPenalty: req.RepetitionPenalty},
	}, nil
}

// MaxChatMessages bounds a conversation's turns; its text is bounded by
// the transport's body limit and the model's context.
const MaxChatMessages = 1000

// MaxNewTokens bounds one answer's length.
const MaxNewTokens = 32768

// MaxStopStrings and MaxStopChars bound ChatRequest.Stop (OpenAI's API
// takes 4 too); SamplingLimits["stop"] carries them to the Chat screen.
const (
	MaxStopStrings = 4
	MaxStopChars   = 64
)

// check rejects what the sampler would otherwise silently reinterpret (a
// negative temperature as greedy, top_p 7 as off, -5 new tokens as the
// default) and roles a chat template cannot place, whose template error
// ("turns must alternate") would not name the real problem.
func (r ChatRequest) check() error {
	for _, v := range []struct {
		name  string
		value float64
	}{
		{"temperature", r.Temperature}, {"top_p", r.TopP}, {"min_p", r.MinP}, {"top_k", float64(r.TopK)},
		{"repetition_penalty", r.RepetitionPenalty}, {"max_new_tokens", float64(r.MaxNewTokens)},
	} {
		if err := SamplingLimits[v.name].check(v.name, v.value); err != nil {
			return invalid(err)
		}
	}
	if len(r.Messages) > MaxChatMessages {
		return invalidf("messages: %d turns, more than %d", len(r.Messages), MaxChatMessages)
	}
	for i, m := range r.Messages {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return invalidf("messages[%d].role: %s is not a chat role; use user, assistant or system", i, quote.Value(m.Role))
		}
	}
	if _, err := chat.ParseWeights(string(r.Weights)); err != nil {
		return invalidf("weights: %s is not one of %s", quote.Value(string(r.Weights)), chat.WeightsNames())
	}
	stop := SamplingLimits["stop"]
	if len(r.Stop) > int(stop.Max) {
		return invalidf("stop: %d strings, more than %g", len(r.Stop), stop.Max)
	}
	for i, s := range r.Stop {
		if s == "" {
			return invalidf("stop[%d]: an empty stop string would end every answer before it starts; remove it", i)
		}
		if n := utf8.RuneCountInString(s); n > stop.MaxChars {
			return invalidf("stop[%d]: %d characters, more than %d", i, n, stop.MaxChars)
		}
	}
	return nil
}

// SamplingLimit is the range one sampling setting may take, and what its
// zero value means.
type SamplingLimit struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Integer settings take whole numbers only.
	Integer bool `json:"integer"`
	// Zero says what 0 means ("greedy", "off", "the default, 256").
	Zero string `json:"zero"`
	// MaxChars bounds each string of a list setting (stop).
	MaxChars int `json:"max_chars,omitempty"`
}

// SamplingLimits bounds ChatRequest's sampling settings; the Chat screen
// reads the same table from the generated contract. For "stop" the range
// is how many strings, each at most MaxChars characters. Useful repetition
// penalties lie between 1 and about 1.3; a large one also pushes the model
// off the words of the question itself (the whole context counts), so the
// range stops at 2.
var SamplingLimits = map[string]SamplingLimit{
	"temperature":        {Min: 0, Max: 5, Zero: "greedy"},
	"top_p":              {Min: 0, Max: 1, Zero: "off"},
	"min_p":              {Min: 0, Max: 1, Zero: "off"},
	"top_k":              {Min: 0, Max: 1 << 20, Integer: true, Zero: "off"},
	"repetition_penalty": {Min: 0, Max: 2, Zero: "off (so is 1)"},
	"max_new_tokens":     {Min: 0, Max: MaxNewTokens, Integer: true, Zero: "the default, 256"},
	"stop":               {Min: 0, Max: MaxStopStrings, Integer: true, Zero: "none", MaxChars: MaxStopChars},
}

func (l SamplingLimit) check(name string, v float64) error {
	if v < l.Min || v > l.Max || math.IsNaN(v) {
		return fmt.Errorf("%s: must be between %g and %g (0 is %s), got %g", name, l.Min, l.Max, l.Zero, v)
	}
	return nil
}

func (s *Chat) run(ctx context.Context, id string, engine *chat.Engine, req chat.Request) {
	defer s.streams.remove(id)
	var res chat.Result
	var err error
	func() {
		defer guard(s.deps.Log, "Chat.Generate", &err)
		res, err = engine.Generate(ctx, req, func(text string) error {
			s.deps.Events.Emit(ChatTopic, ChatToken{StreamID: id, Text: text})
			return nil
		})
	}()
	end := ChatToken{StreamID: id, Done: true, FinishReason: res.FinishReason, Tokens: res.Tokens, TokensPerS: res.TokensPerS, Weights: res.Weights}
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
	cancel, ok := s.streams.get(streamID)
	if !ok {
		return fmt.Errorf("no answer %s is being generated", quote.Value(streamID))
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

// quantizationOf is a run's model.quantization: a QLoRA run's adapter
// answers on the quantized base weights it was trained against.
func (s *Runs) quantizationOf(ref string) (string, error) {
	store, id, err := s.find(ref)
	if err != nil {
		return "", err
	}
	cfg, err := store.Config(id)
	if err != nil {
		return "", err
	}
	return cfg.Model.Quantization, nil
}
