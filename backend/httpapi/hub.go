package httpapi

import (
	"encoding/json"
	"sync"
)

// Hub fans events out to every connected browser. It implements
// events.Emitter, so services publish to it without knowing about HTTP.
type Hub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	dropped int
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{clients: map[chan []byte]struct{}{}}
}

// Emit encodes the event once as an SSE frame and queues it for each
// client. A client too slow to keep a large buffer drained loses events
// rather than stalling training.
func (h *Hub) Emit(topic string, payload any) {
	data, err := json.Marshal(payload)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"error": "unencodable event: " + err.Error()})
	}
	frame := make([]byte, 0, len(topic)+len(data)+16)
	frame = append(frame, "event: "...)
	frame = append(frame, topic...)
	frame = append(frame, "\ndata: "...)
	frame = append(frame, data...)
	frame = append(frame, "\n\n"...)
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c <- frame:
		default:
			h.dropped++
		}
	}
}

func (h *Hub) subscribe() chan []byte {
	c := make(chan []byte, 4096)
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *Hub) unsubscribe(c chan []byte) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// Clients reports how many browsers are listening.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}
