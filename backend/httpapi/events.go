package httpapi

import (
	"net/http"
	"time"
)

// keepAliveEvery is how often an idle stream sends a comment line, so
// proxies and the browser see it is alive.
const keepAliveEvery = 15 * time.Second

// handleEvents streams the hub's events as Server-Sent Events until the
// client leaves or the server shuts down.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		busy(w, r, "event streams", cap(s.streams))
		return
	}
	rc := http.NewResponseController(w)
	// A stream has no body to wait for, and a read deadline that passed
	// while it runs would end it (the background read that watches for the
	// client leaving fails on it and cancels the request), so none is left.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	c := s.hub.subscribe()
	defer s.hub.unsubscribe(c)

	// Each frame gets its own write deadline: a tab that stops reading is
	// dropped once a frame has waited that long, not held forever.
	send := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.opts.Timeouts.Event))
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
