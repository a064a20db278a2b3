// Package events carries progress and streaming updates from services to
// whatever front end is attached. Services never call Wails' runtime
// directly: outside a Wails context those calls end the process.
package events

import "sync"

// Emitter publishes an event on a topic. Payloads must marshal to JSON.
type Emitter interface {
	Emit(topic string, payload any)
}

// Discard drops every event; useful for headless commands and tests.
type Discard struct{}

// Emit does nothing.
func (Discard) Emit(string, any) {}

// Event is one published event.
type Event struct {
	Topic   string `json:"topic"`
	Payload any    `json:"payload"`
}

// Recorder keeps every event in memory, for tests and for replay.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Emit records the event.
func (r *Recorder) Emit(topic string, payload any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, Event{Topic: topic, Payload: payload})
}

// Events returns a copy of what was recorded.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Func adapts a function to the Emitter interface.
type Func func(topic string, payload any)

// Emit calls f.
func (f Func) Emit(topic string, payload any) { f(topic, payload) }

// Late forwards to an emitter attached after construction: the desktop
// window's event bridge exists only once Wails has started, while the
// services are built before. Events before Attach are dropped.
type Late struct {
	mu     sync.RWMutex
	target Emitter
}

// Attach sets the emitter that receives events from now on.
func (l *Late) Attach(e Emitter) {
	l.mu.Lock()
	l.target = e
	l.mu.Unlock()
}

// Emit forwards to the attached emitter, if any.
func (l *Late) Emit(topic string, payload any) {
	l.mu.RLock()
	t := l.target
	l.mu.RUnlock()
	if t != nil {
		t.Emit(topic, payload)
	}
}
