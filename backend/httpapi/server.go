// Package httpapi is `whetstone serve`: the embedded frontend plus every
// service method as JSON over HTTP and events as Server-Sent Events, for
// headless GPU boxes and for browser tests. It knows nothing about the
// domain: it calls whatever service values it is given, the way Wails does.
package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Options configure a Server.
type Options struct {
	// Services maps a service name (the Go struct name, as in Wails'
	// window.go.service.<Name>) to a pointer to the service.
	Services map[string]any
	// Assets is the built frontend (index.html at its root); nil serves none.
	Assets fs.FS
	// Token, when set, is required on every request.
	Token string
	// Hub receives the services' events; nil creates one.
	Hub *Hub
	Log zerolog.Logger
}

// Server serves the UI and the API.
type Server struct {
	opts Options
	d    *dispatcher
	hub  *Hub
}

// New validates the services and returns a server.
func New(opts Options) (*Server, error) {
	d, err := newDispatcher(opts.Services)
	if err != nil {
		return nil, err
	}
	hub := opts.Hub
	if hub == nil {
		hub = NewHub()
	}
	return &Server{opts: opts, d: d, hub: hub}, nil
}

// Hub is the event fan-out the services should emit to.
func (s *Server) Hub() *Hub { return s.hub }

// Methods lists every callable "Service.Method".
func (s *Server) Methods() []string { return s.d.names() }

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/call/{service}/{method}", s.handleCall)
	mux.HandleFunc("GET /api/methods", s.handleMethods)
	mux.HandleFunc("GET /api/events", s.handleEvents)
	if s.opts.Assets != nil {
		mux.Handle("GET /", http.FileServerFS(s.opts.Assets))
	}
	return s.auth(mux)
}

const cookieName = "whetstone_token"

// auth admits an API request carrying the token as a bearer header, a
// `token` query parameter (how EventSource connects) or the cookie set when
// the user opened the printed URL with ?token=.
// It also refuses cross-site API calls, which a page on another origin could
// otherwise make against a loopback server without a token.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if origin := r.Header.Get("Origin"); origin != "" && !sameHost(origin, r.Host) {
				writeError(w, http.StatusForbidden, fmt.Errorf("cross-origin request from %s refused", origin))
				return
			}
		}
		// The UI's files hold no data, so they load without the token: a
		// page opened without ?token= then shows its own "access token
		// required" screen instead of a raw JSON error. Every /api/ call
		// still needs the token.
		if s.opts.Token == "" || (!strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Query().Get("token") == "") {
			next.ServeHTTP(w, r)
			return
		}
		got := ""
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got = strings.TrimPrefix(h, "Bearer ")
		} else if q := r.URL.Query().Get("token"); q != "" {
			got = q
		} else if c, err := r.Cookie(cookieName); err == nil {
			got = c.Value
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) != 1 {
			writeError(w, http.StatusUnauthorized, fmt.Errorf("access token required: open the URL printed by `whetstone serve` (it ends in ?token=...)"))
			return
		}
		if r.URL.Query().Get("token") != "" {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: got, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		next.ServeHTTP(w, r)
	})
}

func sameHost(origin, host string) bool {
	o := strings.TrimPrefix(strings.TrimPrefix(origin, "http://"), "https://")
	return o == host
}

func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Type must be application/json"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("read request: %w", err))
		return
	}
	name := r.PathValue("service") + "." + r.PathValue("method")
	start := time.Now()
	res, err := s.d.call(name, body)
	if err != nil {
		status := statusOf(err)
		ev := s.opts.Log.Warn()
		if status >= 500 {
			ev = s.opts.Log.Error()
		}
		ev.Str("method", name).Int("status", status).Err(err).Msg("call failed")
		msg := err.Error()
		if status >= 500 {
			// Keep the stack in the log, not in the user's face.
			msg, _, _ = strings.Cut(msg, "\n")
		}
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	s.opts.Log.Debug().Str("method", name).Dur("took", time.Since(start)).Msg("call")
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleMethods(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.d.names())
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("streaming unsupported"))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	c := s.hub.subscribe()
	defer s.hub.unsubscribe(c)
	// A first comment line lets the client know the stream is open.
	io.WriteString(w, ": connected\n\n")
	flusher.Flush()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case frame := <-c:
			if _, err := w.Write(frame); err != nil {
				return
			}
			flusher.Flush()
		case <-keepAlive.C:
			io.WriteString(w, ": ping\n\n")
			flusher.Flush()
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// IsLoopback reports whether addr (host:port) binds only the loopback
// interface; any other address needs an access token.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewToken returns a random 128-bit access token.
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate access token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
