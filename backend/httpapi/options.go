package httpapi

import (
	"context"
	"io/fs"
	"time"

	"github.com/rs/zerolog"
)

// Options configure a Server. Only Token (and Services or Scope) must be
// set; every limit has a default chosen for one user's browser on a GPU box.
type Options struct {
	// Services maps a service name (the Go struct name, as in Wails'
	// window.go.service.<Name>) to a pointer to the service. The method
	// table is built from these once, at New.
	Services map[string]any
	// Scope, when set, gives each call its receiver: the value under the
	// service's name in Scope(ctx), where ctx ends when the client goes away
	// or the server shuts down. Services are bound Wails-style, without a
	// context parameter, so this is how a call learns it was abandoned.
	// Nil calls the values in Services.
	Scope func(ctx context.Context) map[string]any
	// Assets is the built frontend (index.html at its root); nil serves none.
	Assets fs.FS
	// Token is required on every API request, whatever the address: a web
	// page the user visits can reach a loopback server too. New refuses an
	// empty one.
	Token string
	// Addr is the address the server was asked to listen on, as the user
	// gave it. Its host is an allowed Host header; a wildcard host (0.0.0.0,
	// ::, empty) allows this machine's interface addresses instead.
	Addr string
	// AllowedHosts are further names (or addresses) the Host header may
	// carry, e.g. a DNS name of the machine or of a reverse proxy.
	AllowedHosts []string
	// Hub receives the services' events; nil creates one.
	Hub *Hub
	Log zerolog.Logger

	// MaxBodyBytes caps a call's JSON arguments (default 4 MiB).
	MaxBodyBytes int64
	// MaxCalls caps the API requests in progress at once (default 32);
	// further ones get 503.
	MaxCalls int
	// MaxStreams caps the open event streams (default 16).
	MaxStreams int
	// AuthFailuresPerMinute is how many wrong tokens one client address may
	// send a minute before it gets 429 (default 10).
	AuthFailuresPerMinute int
	// MaxUploadBytes caps an UploadRoute's body unless the route sets its
	// own (default 16 GiB: a large dataset, not a disk).
	MaxUploadBytes int64
	// Routes are further handlers behind the same guards: the REST API and
	// the OpenAI-compatible endpoint.
	Routes []Route
	// Timeouts bound slow clients; zero fields take the defaults.
	Timeouts Timeouts
}

// Timeouts of the HTTP server. Writes are bounded per route rather than by
// one server-wide WriteTimeout: a page's files are small, a call may run for
// minutes (an export), and an event stream lives as long as the tab.
type Timeouts struct {
	// Header bounds reading a request's headers (default 10s).
	Header time.Duration
	// Body bounds reading headers and body together (default 60s).
	Body time.Duration
	// Idle bounds a kept-alive connection between requests (default 2m).
	Idle time.Duration
	// Static bounds writing a file of the UI, and any refusal (default 30s).
	Static time.Duration
	// Call bounds running a call and writing its answer (default 1h).
	Call time.Duration
	// Event bounds writing one event-stream frame (default 30s): a tab that
	// stops reading is dropped rather than holding its slot forever.
	Event time.Duration
}

const (
	defaultMaxBodyBytes          = 4 << 20
	defaultMaxCalls              = 32
	defaultMaxStreams            = 16
	defaultAuthFailuresPerMinute = 10
	defaultMaxUploadBytes        = 16 << 30
)

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBodyBytes
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = defaultMaxCalls
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = defaultMaxStreams
	}
	if o.AuthFailuresPerMinute <= 0 {
		o.AuthFailuresPerMinute = defaultAuthFailuresPerMinute
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = defaultMaxUploadBytes
	}
	o.Timeouts = o.Timeouts.withDefaults()
	return o
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Header, 10*time.Second)
	def(&t.Body, 60*time.Second)
	def(&t.Idle, 2*time.Minute)
	def(&t.Static, 30*time.Second)
	def(&t.Call, time.Hour)
	def(&t.Event, 30*time.Second)
	return t
}
