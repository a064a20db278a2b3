package cli

import (
	"context"
	"strings"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// termEvents shows on a terminal what the services report as events, the
// same events the UI follows: a run's steps and log lines on stdout
// ("run.metrics", "run.log", "run.prep"), download and export progress on stderr
// ("hub.progress", "export.progress"); it collects streamed chat answers
// ("chat.token") for the command waiting on them.
type termEvents struct {
	run    *progress
	export *exportProgress
	hub    *progressPrinter
	chat   *chatAnswers
}

func newTermEvents(env *Env) *termEvents {
	return &termEvents{
		run:    newProgress(env.Stdout),
		export: newExportProgress(env.Stderr),
		hub:    newProgressPrinter(env.Stderr),
		chat:   &chatAnswers{streams: map[string]*chatAnswer{}},
	}
}

// Emit implements events.Emitter.
func (t *termEvents) Emit(topic string, payload any) {
	switch p := payload.(type) {
	case service.RunMetricsEvent, service.RunLogEvent, service.PrepEvent:
		t.run.Emit(topic, payload)
	case service.ExportProgress:
		t.export.Emit(topic, payload)
	case service.HubProgress:
		t.hub.Emit(topic, payload)
	case service.ChatToken:
		t.chat.add(p)
	}
}

// end finishes the lines being redrawn, so what follows starts on its own.
func (t *termEvents) end() {
	t.run.endLine()
	t.export.end()
	t.hub.end()
}

var _ events.Emitter = (*termEvents)(nil)

// chatAnswers gathers "chat.token" events by stream. A stream's first
// tokens may arrive before Chat.Generate has returned its id, so every
// stream is gathered until it is waited for.
type chatAnswers struct {
	mu      sync.Mutex
	streams map[string]*chatAnswer
}

type chatAnswer struct {
	text strings.Builder
	end  service.ChatToken
	done chan struct{}
	// changed wakes a follower (see follow in chat.go) after new text.
	changed chan struct{}
}

func (c *chatAnswers) stream(id string) *chatAnswer {
	a := c.streams[id]
	if a == nil {
		a = &chatAnswer{done: make(chan struct{}), changed: make(chan struct{}, 1)}
		c.streams[id] = a
	}
	return a
}

func (c *chatAnswers) add(tok service.ChatToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.stream(tok.StreamID)
	a.text.WriteString(tok.Text)
	if tok.Done {
		a.end = tok
		close(a.done)
	}
	select {
	case a.changed <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// wait returns a stream's whole answer and its last event, once it is done.
func (c *chatAnswers) wait(ctx context.Context, id string) (string, service.ChatToken, error) {
	c.mu.Lock()
	a := c.stream(id)
	c.mu.Unlock()
	select {
	case <-a.done:
	case <-ctx.Done():
		return "", service.ChatToken{}, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.streams, id)
	return a.text.String(), a.end, nil
}
