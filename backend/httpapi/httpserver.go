package httpapi

import (
	"context"
	"log"
	"net"
	"net/http"
	"time"
)

// maxHeaderBytes bounds a request's headers; the UI sends a few hundred
// bytes, and Go's default (1 MB) only helps a client that wants memory.
const maxHeaderBytes = 64 << 10

// HTTPServer returns the http.Server to run this Server with, so `serve`
// and the tests share one set of timeouts. Requests' contexts derive from
// base: cancelling it (at shutdown) ends calls in progress and event
// streams, which would otherwise hold Shutdown open.
//
// There is no server-wide WriteTimeout: each route sets its own write
// deadline (see Timeouts). ReadTimeout bounds a request's headers and
// body; the call and event handlers clear the read deadline once they have
// what they need, because one that passes while a handler runs cancels its
// context.
func (s *Server) HTTPServer(base context.Context) *http.Server {
	t := s.opts.Timeouts
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: t.Header,
		ReadTimeout:       t.Body,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          log.New(s.log.With().Str("component", "http").Logger(), "", 0),
	}
}

// defaultWriteDeadline gives every response the short deadline of a static
// file; the call and event handlers extend theirs. A client that stops
// reading cannot hold a connection and its goroutine forever.
func (s *Server) defaultWriteDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Fails only where the writer has no connection (a test recorder).
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.opts.Timeouts.Static))
		next.ServeHTTP(w, r)
	})
}

// limitCalls caps the API requests in progress; one over gets 503.
func (s *Server) limitCalls(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.calls <- struct{}{}:
			defer func() { <-s.calls }()
			h(w, r)
		default:
			busy(w, r, "calls", cap(s.calls))
		}
	}
}
