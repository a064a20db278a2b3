// Package hub downloads models and datasets from the Hugging Face hub into
// the standard Hugging Face cache, so files that Python tools downloaded are
// reused by Whetstone and the other way round.
//
// The cache layout is the one huggingface_hub writes:
//
//	{cache}/models--org--name/
//	    blobs/<etag>                       file contents, named by etag
//	    snapshots/<commit>/<path>          relative symlinks into blobs
//	    refs/<revision>                    the commit a branch or tag pointed to
//
// Downloads resume from blobs/<etag>.incomplete, are verified against their
// checksum (sha256 for LFS files, the git blob sha1 otherwise), run in
// parallel, report progress on the "hub.progress" topic and stop when their
// context is cancelled. In offline mode only the cache is used.
package hub

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
)

// DefaultEndpoint is the public Hugging Face hub.
const DefaultEndpoint = "https://huggingface.co"

// ProgressTopic is the events topic download progress is published on.
const ProgressTopic = "hub.progress"

// Options configures a Client. The zero value is usable: every empty field
// takes its default. OptionsFromEnv fills it the way huggingface_hub does.
type Options struct {
	// Endpoint is the hub's base URL (default https://huggingface.co).
	Endpoint string
	// Token authenticates to the hub; needed for gated and private repos.
	Token string
	// CacheDir is the hub cache root, the folder that holds models--*/datasets--*.
	CacheDir string
	// Offline serves only from the cache and never opens a connection.
	Offline bool
	// HTTPClient is used for every request (default: a client with sane timeouts).
	HTTPClient *http.Client
	// Events receives progress on ProgressTopic (default: discarded).
	Events events.Emitter
	// Parallel is how many files download at once (default 8).
	Parallel int
	// Retries is how many times a failed transfer is retried, resuming where it
	// stopped (default 5; negative means none).
	Retries int
	// RetryBackoff is the wait before the first retry, doubled each time (default 1s).
	RetryBackoff time.Duration
	// StallTimeout aborts a transfer that received nothing for this long, so
	// that a silently dead connection is retried (and resumed) instead of
	// hanging (default 60s).
	StallTimeout time.Duration
	// Verify re-hashes blobs already in the cache instead of trusting their size.
	Verify bool
	// UserAgent is sent with every request.
	UserAgent string
}

// OptionsFromEnv reads the variables huggingface_hub honours: HF_ENDPOINT,
// HF_TOKEN (or the token file that `huggingface-cli login` writes),
// HF_HUB_CACHE / HF_HOME and HF_HUB_OFFLINE. getenv is os.Getenv in
// production; tests pass their own.
func OptionsFromEnv(getenv func(string) string) Options {
	if getenv == nil {
		getenv = os.Getenv
	}
	home := hfHome(getenv)
	opts := Options{
		Endpoint: strings.TrimRight(getenv("HF_ENDPOINT"), "/"),
		Offline:  envTrue(getenv("HF_HUB_OFFLINE")),
	}
	switch {
	case getenv("HF_HUB_CACHE") != "":
		opts.CacheDir = expandHome(getenv("HF_HUB_CACHE"), getenv)
	case getenv("HUGGINGFACE_HUB_CACHE") != "":
		opts.CacheDir = expandHome(getenv("HUGGINGFACE_HUB_CACHE"), getenv)
	case home != "":
		opts.CacheDir = filepath.Join(home, "hub")
	}
	opts.Token = strings.TrimSpace(getenv("HF_TOKEN"))
	if opts.Token == "" {
		opts.Token = strings.TrimSpace(getenv("HUGGING_FACE_HUB_TOKEN"))
	}
	if opts.Token == "" {
		tokenPath := getenv("HF_TOKEN_PATH")
		if tokenPath == "" && home != "" {
			tokenPath = filepath.Join(home, "token")
		}
		if tokenPath != "" {
			if b, err := os.ReadFile(expandHome(tokenPath, getenv)); err == nil {
				opts.Token = strings.TrimSpace(string(b))
			}
		}
	}
	return opts
}

// hfHome is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func hfHome(getenv func(string) string) string {
	if h := getenv("HF_HOME"); h != "" {
		return expandHome(h, getenv)
	}
	if x := getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(expandHome(x, getenv), "huggingface")
	}
	home := userHome(getenv)
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".cache", "huggingface")
}

func userHome(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	if h := getenv("USERPROFILE"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func expandHome(p string, getenv func(string) string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		return filepath.Join(userHome(getenv), p[1:])
	}
	return p
}

// envTrue reads a boolean the way huggingface_hub does ("1", "true", "yes", "on").
func envTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on", "y", "t":
		return true
	}
	return false
}

// Client talks to one hub endpoint and one cache. It is safe for concurrent use.
type Client struct {
	opts Options
	// http follows redirects itself and drops the token when a redirect leaves
	// the hub's host (CDN URLs are pre-signed and reject foreign credentials).
	http *http.Client
	// noRedirect reports redirects instead of following them, for metadata
	// requests whose headers matter on the hub's own response.
	noRedirect *http.Client
	locks      *keyedMutex
	// freeSpace reports free bytes on the cache's disk (-1: unknown).
	freeSpace func(dir string) (int64, error)
}

// New returns a client; empty options take their defaults (see Options).
func New(opts Options) *Client {
	if opts.Endpoint == "" {
		opts.Endpoint = DefaultEndpoint
	}
	opts.Endpoint = strings.TrimRight(opts.Endpoint, "/")
	if opts.CacheDir == "" {
		opts.CacheDir = OptionsFromEnv(os.Getenv).CacheDir
	}
	if opts.CacheDir == "" {
		// No home folder at all (a bare service account): still a real,
		// absolute place rather than the working directory.
		opts.CacheDir = filepath.Join(os.TempDir(), "huggingface", "hub")
	}
	if opts.Events == nil {
		opts.Events = events.Discard{}
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	if opts.Retries == 0 {
		opts.Retries = 5
	} else if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = 60 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "whetstone-hub/1"
	}
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			// Without a dial timeout an unreachable (black-holed) hub
			// would wait out the OS's connect timeout, minutes, per try.
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   20 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
		}}
	}
	follow := *base
	follow.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errTooManyRedirects
		}
		if req.URL.Host != via[0].URL.Host {
			req.Header.Del("Authorization")
		}
		return nil
	}
	stop := *base
	stop.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{opts: opts, http: &follow, noRedirect: &stop, locks: newKeyedMutex(), freeSpace: existingFreeBytes}
}

// NewFromEnv is New(OptionsFromEnv(getenv)) with the given emitter.
func NewFromEnv(getenv func(string) string, emitter events.Emitter) *Client {
	opts := OptionsFromEnv(getenv)
	opts.Events = emitter
	return New(opts)
}

// CacheDir is the cache root this client reads and writes.
func (c *Client) CacheDir() string { return c.opts.CacheDir }

// Offline reports whether the client only uses the cache.
func (c *Client) Offline() bool { return c.opts.Offline }

// existingFreeBytes measures free space at dir or, before the repo folder
// exists, at its nearest existing parent.
func existingFreeBytes(dir string) (int64, error) {
	for {
		if _, err := os.Stat(dir); err == nil {
			return freeBytes(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return -1, nil
		}
		dir = parent
	}
}
