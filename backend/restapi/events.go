package restapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
)

// Broadcaster hands the services' events to the REST API's streams, each
// of which keeps only what it follows (one run, downloads). It is an
// events.Emitter: serve gives the services Tee(hub, broadcaster), so the
// UI's hub and the API see the same events.
type Broadcaster struct {
	mu   sync.Mutex
	subs map[*subscription]struct{}
}

// NewBroadcaster returns a broadcaster without listeners.
func NewBroadcaster() *Broadcaster {
	return &Broadcaster{subs: map[*subscription]struct{}{}}
}

// subscription is one stream's queue of events.
type subscription struct {
	keep func(topic string, payload any) bool
	c    chan events.Event
	// lost is set when the stream fell behind and events were dropped.
	lost bool
}

// streamBuffer is how many events a stream may fall behind before it loses
// some: training must never wait for a slow client.
const streamBuffer = 4096

// Emit queues the event for every subscription that keeps it.
func (b *Broadcaster) Emit(topic string, payload any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.keep != nil && !s.keep(topic, payload) {
			continue
		}
		select {
		case s.c <- events.Event{Topic: topic, Payload: payload}:
		default:
			s.lost = true
		}
	}
}

// takeLost reports whether events were dropped since the last call.
func (s *subscription) takeLost(b *Broadcaster) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	lost := s.lost
	s.lost = false
	return lost
}

func (b *Broadcaster) subscribe(keep func(topic string, payload any) bool) *subscription {
	s := &subscription{keep: keep, c: make(chan events.Event, streamBuffer)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *Broadcaster) unsubscribe(s *subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

// Tee is an emitter that publishes to each of es, in order.
func Tee(es ...events.Emitter) events.Emitter {
	return events.Func(func(topic string, payload any) {
		for _, e := range es {
			e.Emit(topic, payload)
		}
	})
}

// sse writes Server-Sent Events.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startSSE sends the stream's headers and a first comment, so a client
// knows the stream is open (and subscribed) before any event arrives.
func startSSE(w http.ResponseWriter) (*sse, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would buffer the stream
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, rc: http.NewResponseController(w)}
	if _, err := fmt.Fprint(w, ": open\n\n"); err != nil {
		return nil, err
	}
	return s, s.rc.Flush()
}

// heartbeat is how often an idle stream sends a comment, so proxies keep
// it open and a client that went away is noticed.
const heartbeat = 25 * time.Second

// comment writes an SSE comment, which clients ignore.
func (s *sse) comment(text string) error {
	if _, err := fmt.Fprintf(s.w, ": %s\n\n", text); err != nil {
		return err
	}
	return s.rc.Flush()
}

// send writes one event.
func (s *sse) send(topic string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", topic, err)
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", topic, data); err != nil {
		return err
	}
	return s.rc.Flush()
}
