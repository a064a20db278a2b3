// Package httpapi is `whetstone serve`: the embedded frontend plus every
// service method as JSON over HTTP and events as Server-Sent Events, for
// headless GPU boxes and for browser tests. It knows nothing about the
// domain: it calls whatever service values it is given, the way Wails does.
//
// A server on loopback is still reachable by every web page the user opens,
// so each request passes, in order: security headers, a Host allow-list
// (DNS rebinding), an origin check (cross-site requests), the access token
// (with failures rate-limited) and caps on concurrent work, and each route
// bounds how long a slow client may hold it.
package httpapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// Server serves the UI and the API.
type Server struct {
	opts Options
	log  zerolog.Logger
	// refusals logs refused hosts and origins, sampled: a hostile page can
	// send thousands of those a second, and the log must stay readable.
	refusals zerolog.Logger
	d        *dispatcher
	hub      *Hub
	hosts    *hostPolicy
	failures *failureLimiter
	calls    chan struct{} // a slot per API request in progress
	streams  chan struct{} // a slot per open event stream
	token    tokenCheck
}

// New validates the options and returns a server.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		return nil, errors.New("httpapi: an access token is required, on loopback too: any web page the user visits can reach a local server")
	}
	opts = opts.withDefaults()
	d, err := newDispatcher(opts.Services)
	if err != nil {
		return nil, err
	}
	hub := opts.Hub
	if hub == nil {
		hub = NewHub()
	}
	s := &Server{
		opts:     opts,
		log:      opts.Log,
		refusals: opts.Log.Sample(&zerolog.BurstSampler{Burst: 20, Period: time.Minute}),
		d:        d,
		hub:      hub,
		hosts:    newHostPolicy(opts.Addr, opts.AllowedHosts, InterfaceIPs),
		failures: newFailureLimiter(opts.AuthFailuresPerMinute, maxTrackedClients, time.Now),
		calls:    make(chan struct{}, opts.MaxCalls),
		streams:  make(chan struct{}, opts.MaxStreams),
		token:    newTokenCheck(opts.Token),
	}
	if err := s.mount(http.NewServeMux()); err != nil {
		return nil, err
	}
	return s, nil
}

// Hub is the event fan-out the services should emit to.
func (s *Server) Hub() *Hub { return s.hub }

// Methods lists every callable "Service.Method".
func (s *Server) Methods() []string { return s.d.names() }

// Handler returns the HTTP handler with every guard in front of the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/call/{service}/{method}", s.limitCalls(s.handleCall))
	mux.HandleFunc("GET /api/methods", s.limitCalls(s.handleMethods))
	mux.HandleFunc("GET /api/events", s.streamRoute(http.HandlerFunc(s.handleEvents)))
	_ = s.mount(mux) // checked by New
	if s.opts.Assets != nil {
		mux.Handle("GET /", http.FileServerFS(s.opts.Assets))
	}
	var h http.Handler = mux
	h = s.auth(h)
	h = s.originGuard(h)
	h = s.hostGuard(h)
	h = s.defaultWriteDeadline(h)
	return securityHeaders(h)
}

func (s *Server) handleMethods(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.d.names())
}

// IsLoopback reports whether addr (host:port) binds only the loopback
// interface.
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

// InterfaceIPs returns this machine's interface addresses (none when they
// cannot be listed: loopback still works).
func InterfaceIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

// busy answers 503 with a hint to retry: the server is at its cap of n of
// what (calls, event streams).
func busy(w http.ResponseWriter, r *http.Request, what string, n int) {
	w.Header().Set("Retry-After", "1")
	writeError(w, r, http.StatusServiceUnavailable, fmt.Errorf("the server is busy: %d %s are in progress, its limit; try again in a moment", n, what))
}
