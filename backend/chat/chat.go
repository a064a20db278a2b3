// Package chat answers conversations with a base model, optionally with a
// LoRA adapter attached: the playground behind the Chat screen. It keeps
// recently used models loaded, since loading weights is the slow part of a
// first message and base-vs-tuned comparisons alternate between two.
package chat

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// Request is one turn to answer.
type Request struct {
	// ModelDir holds config.json, the weights and the tokenizer files.
	ModelDir string
	// AdapterDir is a PEFT adapter folder; empty chats with the base model.
	AdapterDir string
	// Quantization stores the base model's projections as the run that
	// trained AdapterDir did (model.Options.Quantization: "", none, nf4
	// or int8), so the adapter answers on the weights it learned against.
	Quantization string
	// Weights is how the base weights are kept while answering ("" is
	// WeightsAuto); Result.Weights says what auto chose.
	Weights Weights
	// Messages is the conversation so far, ending with the user's turn.
	Messages []chattemplate.Message
	// System, when set, is prepended as a system message.
	System       string
	Sampling     model.SamplingOptions
	MaxNewTokens int
	Seed         uint64
	// Stop ends the answer at the first of these strings, which is not
	// part of it, even when it spans several tokens. Empty strings are
	// ignored; the caller bounds how many and how long.
	Stop []string
	// TemplateArgs are extra chat-template variables (enable_thinking...).
	TemplateArgs map[string]any
}

// Result summarizes a finished answer.
type Result struct {
	Text         string  `json:"text"`
	PromptTokens int     `json:"prompt_tokens"`
	Tokens       int     `json:"tokens"`
	FinishReason string  `json:"finish_reason"`
	TokensPerS   float64 `json:"tokens_per_s"`
	// Weights is how the base weights were kept (auto resolved).
	Weights Weights `json:"weights"`
}

// Engine loads models on demand and keeps the most recent ones.
type Engine struct {
	opts model.Options
	keep int

	mu     sync.Mutex
	loaded map[string]*loaded
	order  []string // least recently used first
}

type loaded struct {
	mu   sync.Mutex // one generation at a time per model
	m    *model.Model
	tok  *tokenizer.Tokenizer
	tmpl *chattemplate.Renderer
	stop []int32
}

// NewEngine keeps up to keep models loaded (2 lets base and tuned answer
// side by side without reloading).
func NewEngine(opts model.Options, keep int) *Engine {
	if keep < 1 {
		keep = 1
	}
	return &Engine{opts: opts, keep: keep, loaded: map[string]*loaded{}}
}

// Generate answers req, calling onText with each new piece of text as it is
// decoded. Cancel ctx to stop early; the partial answer is returned.
func (e *Engine) Generate(ctx context.Context, req Request, onText func(string) error) (Result, error) {
	if len(req.Messages) == 0 {
		return Result{}, errors.New("chat: no messages to answer")
	}
	weights, err := req.Weights.Resolve(req.ModelDir)
	if err != nil {
		return Result{}, err
	}
	l, err := e.load(req.ModelDir, req.AdapterDir, req.Quantization, weights)
	if err != nil {
		return Result{}, err
	}
	msgs := req.Messages
	if strings.TrimSpace(req.System) != "" {
		msgs = append([]chattemplate.Message{{Role: "system", Content: req.System}}, msgs...)
	}
	prompt, err := l.tmpl.Render(msgs, chattemplate.Options{AddGenerationPrompt: true, Extra: req.TemplateArgs})
	if err != nil {
		return Result{}, fmt.Errorf("chat: render the conversation: %w", err)
	}
	ids := l.tok.Encode(prompt, false)
	promptIDs := make([]int32, len(ids))
	for i, id := range ids {
		promptIDs[i] = int32(id)
	}
	maxNew := req.MaxNewTokens
	if maxNew <= 0 {
		maxNew = 256
	}

	stops := nonEmpty(req.Stop)

	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	sent := 0
	cut := -1 // where a stop string begins in the answer, once one appeared
	start := time.Now()
	gen, err := l.m.Generate(ctx, promptIDs, model.GenerateOptions{
		SamplingOptions: req.Sampling, MaxNewTokens: maxNew, StopTokens: l.stop, Seed: req.Seed,
	}, func(tok int32) error {
		out = append(out, int(tok))
		text := l.tok.Decode(out, true)
		sent = min(sent, len(text))
		// No stop string starts before sent (a possible start is held
		// back below), so only the unsent tail needs searching.
		if i := firstStop(text[sent:], stops); i >= 0 {
			cut = sent + i
			return errStopString
		}
		// Hold back a trailing partial UTF-8 character until it completes.
		if strings.HasSuffix(text, string(utf8.RuneError)) {
			return nil
		}
		// Hold back a tail that may be the start of a stop string: once
		// sent, it could not be taken back if the next token completes it.
		ready := len(text) - stopPrefixLen(text[sent:], stops)
		if ready > sent && onText != nil {
			delta := text[sent:ready]
			sent = ready
			return onText(delta)
		}
		return nil
	})
	elapsed := time.Since(start).Seconds()
	res := Result{Text: l.tok.Decode(out, true), PromptTokens: len(promptIDs), Tokens: len(out), FinishReason: gen.FinishReason, Weights: weights}
	if cut >= 0 {
		res.Text, res.FinishReason, err = res.Text[:cut], model.FinishStop, nil
	}
	if elapsed > 0 {
		res.TokensPerS = float64(len(out)) / elapsed
	}
	if err != nil {
		return res, fmt.Errorf("chat: %w", err)
	}
	if onText != nil && len(res.Text) > sent {
		if err := onText(res.Text[sent:]); err != nil {
			return res, err
		}
	}
	return res, nil
}

// errStopString ends generation when a stop string appears; Generate
// reports it as a normal "stop" finish.
var errStopString = errors.New("chat: stop string reached")

// nonEmpty drops empty stop strings, which would otherwise end every
// answer before it starts.
func nonEmpty(stops []string) []string {
	var out []string
	for _, s := range stops {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// firstStop is the index of the earliest stop string in text, or -1.
func firstStop(text string, stops []string) int {
	first := -1
	for _, s := range stops {
		if i := strings.Index(text, s); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// stopPrefixLen is the length of the longest tail of text that is the
// beginning of a stop string (and so may become one with the next token).
func stopPrefixLen(text string, stops []string) int {
	longest := 0
	for _, s := range stops {
		for n := min(len(s)-1, len(text)); n > longest; n-- {
			if strings.HasSuffix(text, s[:n]) {
				longest = n
				break
			}
		}
	}
	return longest
}

// load returns the model for (dir, adapter, quantization), loading it
// when needed and evicting the least recently used beyond the limit.
func (e *Engine) load(dir, adapter, quantization string, weights Weights) (*loaded, error) {
	if dir == "" {
		return nil, errors.New("chat: no model chosen")
	}
	key := filepath.Clean(dir) + "|" + adapter + "|" + quantization + "|" + string(weights)
	e.mu.Lock()
	defer e.mu.Unlock()
	if l, ok := e.loaded[key]; ok {
		e.touch(key)
		return l, nil
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	tmpl, err := chattemplate.NewRenderer(tok.Config())
	if err != nil {
		return nil, fmt.Errorf("chat: %s: %w", dir, err)
	}
	opts := e.opts
	opts.Quantization = quantization
	opts.StorageDType = weights.dtype()
	m, err := model.Load(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if adapter != "" {
		if err := AttachAdapter(m, adapter); err != nil {
			return nil, err
		}
	}
	l := &loaded{m: m, tok: tok, tmpl: tmpl, stop: stopTokens(tok, m.Config())}
	e.loaded[key] = l
	e.order = append(e.order, key)
	for len(e.order) > e.keep {
		delete(e.loaded, e.order[0])
		e.order = e.order[1:]
	}
	return l, nil
}

func (e *Engine) touch(key string) {
	for i, k := range e.order {
		if k == key {
			e.order = append(append(e.order[:i:i], e.order[i+1:]...), key)
			return
		}
	}
}

// AttachAdapter loads a PEFT adapter folder into m: its LoRA layers and
// the modules it trained whole (modules_to_save, e.g. the embeddings of a
// continued-pretraining run).
func AttachAdapter(m *model.Model, dir string) error {
	ad, err := adapter.ReadAdapter(dir)
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	if err := m.AttachAdapter(ad); err != nil {
		return fmt.Errorf("chat: adapter %s: %w", dir, err)
	}
	return nil
}

// stopTokens are the tokenizer's stop ids, the model's EOS ids and the
// end-of-turn markers of the chat formats we know, when the vocabulary has
// them: a chat answer ends at its end of turn even if generation_config.json
// forgot to say so.
func stopTokens(tok *tokenizer.Tokenizer, cfg *model.Config) []int32 {
	seen := map[int]bool{}
	var out []int32
	add := func(id int) {
		if id >= 0 && !seen[id] {
			seen[id] = true
			out = append(out, int32(id))
		}
	}
	for _, id := range tok.Config().StopIDs {
		add(id)
	}
	for _, id := range cfg.EOSTokenIDs {
		add(id)
	}
	for _, s := range []string{"<end_of_turn>", "<|eot_id|>", "<|im_end|>", "<|end_of_text|>", "<eos>"} {
		if id, ok := tok.TokenID(s); ok {
			add(id)
		}
	}
	return out
}
