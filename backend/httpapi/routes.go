package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// RouteKind says how the server bounds a mounted route.
type RouteKind int

const (
	// CallRoute answers once, like a service call: it takes a call slot,
	// its JSON body (if any) is read whole and capped at MaxBodyBytes before
	// the handler runs, and its answer may take up to Timeouts.Call.
	CallRoute RouteKind = iota
	// StreamRoute is a long-lived response (Server-Sent Events): it takes
	// an event-stream slot, and each write gets Timeouts.Event to go out,
	// so a client that stops reading is dropped.
	StreamRoute
	// UploadRoute receives a file: it takes a call slot, its body of any
	// content type is capped at Route.MaxBody and may take up to
	// Timeouts.Call to arrive, and the handler reads it as it comes.
	UploadRoute
)

// Route is a handler served behind every guard of the server (host,
// origin, access token) with the bounds of its kind. Domain packages build
// them (the REST API, the OpenAI-compatible endpoint) and serve mounts
// them, so this package stays free of the domain.
type Route struct {
	// Pattern is a ServeMux pattern whose path lies under /api/ or /v1/,
	// e.g. "GET /api/v1/runs/{id}".
	Pattern string
	Kind    RouteKind
	Handler http.Handler
	// MaxBody caps an UploadRoute's body (default Options.MaxUploadBytes).
	MaxBody int64
}

// mount adds the routes to mux, each wrapped in the bounds of its kind.
func (s *Server) mount(mux *http.ServeMux) (err error) {
	defer func() {
		if p := recover(); p != nil { // ServeMux panics on a bad or clashing pattern
			err = fmt.Errorf("httpapi: %v", p)
		}
	}()
	for _, rt := range s.opts.Routes {
		_, path, _ := strings.Cut(rt.Pattern, " ")
		if path == "" {
			path = rt.Pattern
		}
		if i := strings.IndexByte(path, '/'); i > 0 { // a host in the pattern
			path = path[i:]
		}
		if !isAPI(path) {
			return errors.New("httpapi: route " + rt.Pattern + " is not under /api/ or /v1/, where the access token is checked")
		}
		var h http.Handler
		switch rt.Kind {
		case CallRoute:
			h = s.limitCalls(s.callRoute(rt.Handler))
		case StreamRoute:
			h = s.streamRoute(rt.Handler)
		case UploadRoute:
			max := rt.MaxBody
			if max <= 0 {
				max = s.opts.MaxUploadBytes
			}
			h = s.limitCalls(s.uploadRoute(rt.Handler, max))
		default:
			return errors.New("httpapi: route " + rt.Pattern + " has an unknown kind")
		}
		mux.Handle(rt.Pattern, h)
	}
	return nil
}

// callRoute reads and caps a JSON body before the handler runs, then lets
// the answer take as long as a call may.
func (s *Server) callRoute(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(s.opts.Timeouts.Call))
		if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
			body, ok := s.readJSONBody(w, r)
			if !ok {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		// The body is in: a read deadline that passed while the handler
		// runs would cancel it (see handleCall).
		_ = rc.SetReadDeadline(time.Time{})
		next.ServeHTTP(w, r)
	}
}

// uploadRoute gives a file body the time of a call to arrive, capped at max.
func (s *Server) uploadRoute(next http.Handler, max int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, r, http.StatusRequestEntityTooLarge, tooLarge(max))
			return
		}
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(s.opts.Timeouts.Call)
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline)
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	}
}

// streamRoute takes a stream slot and bounds each write rather than the
// whole response.
func (s *Server) streamRoute(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.streams <- struct{}{}:
			defer func() { <-s.streams }()
		default:
			busy(w, r, "event streams", cap(s.streams))
			return
		}
		rc := http.NewResponseController(w)
		// A stream has no body to wait for, and a read deadline that passed
		// while it runs would end it (the background read that watches for
		// the client leaving fails on it and cancels the request).
		_ = rc.SetReadDeadline(time.Time{})
		next.ServeHTTP(&frameWriter{ResponseWriter: w, rc: rc, each: s.opts.Timeouts.Event}, r)
	}
}

// frameWriter gives each write its own deadline.
type frameWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	each time.Duration
}

func (f *frameWriter) Write(b []byte) (int, error) {
	_ = f.rc.SetWriteDeadline(time.Now().Add(f.each))
	return f.ResponseWriter.Write(b)
}

// Unwrap lets http.NewResponseController reach the connection (Flush).
func (f *frameWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }
