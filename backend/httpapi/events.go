package httpapi

import (
	"net/http"
	"time"
)

// keepAliveEvery is how often an idle stream sends a comment line, so
// proxies and the browser see it is alive.
const keepAliveEvery = 15 * time.Second

// handleEvents streams the hub's events as Server-Sent Events until the
// client leaves or the server shuts down. It runs as a StreamRoute: a slot
// of its own, and a deadline for each frame rather than the stream.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	c := s.hub.subscribe()
	defer s.hub.unsubscribe(c)

	send := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// A first comment line lets the client know the stream is open.
	if !send([]byte(": connected\n\n")) {
		return
	}
	keepAlive := time.NewTicker(keepAliveEvery)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case frame := <-c:
			if !send(frame) {
				return
			}
		case <-keepAlive.C:
			if !send([]byte(": ping\n\n")) {
				return
			}
		}
	}
}
