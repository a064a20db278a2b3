package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

const testToken = "s3cret-test-token-0123456789"

type pair struct {
	A int `json:"a"`
	B int `json:"b"`
}

// calc is the fake service most tests call.
type calc struct{ hub *Hub }

func (c *calc) Add(p pair) (int, error) { return p.A + p.B, nil }
func (c *calc) Div(a, b int) (int, error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	return a / b, nil
}
func (c *calc) Boom() string                 { panic("kaboom") }
func (c *calc) Notify(msg string)            { c.hub.Emit("calc.note", map[string]string{"msg": msg}) }
func (c *calc) Echo(msg string) (int, error) { return 0, errors.New("cannot use " + msg) }

// syncBuffer collects log output written from the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a Server on a loopback httptest listener, run through
// HTTPServer so the tests see the same timeouts `serve` uses.
type testServer struct {
	*httptest.Server
	s      *Server
	hub    *Hub
	log    *syncBuffer
	cancel context.CancelFunc // ends every request's context (BaseContext)
}

func newTestServer(t *testing.T, configure ...func(*Options)) *testServer {
	t.Helper()
	hub := NewHub()
	logs := &syncBuffer{}
	opts := Options{
		Services: map[string]any{"Calc": &calc{hub: hub}},
		Assets:   fstest.MapFS{"index.html": {Data: []byte("<h1>whetstone</h1>")}},
		Token:    testToken,
		Addr:     "127.0.0.1:0",
		Hub:      hub,
		Log:      zerolog.New(logs),
	}
	for _, f := range configure {
		f(&opts)
	}
	s, err := New(opts)
	require.NoError(t, err)
	base, cancel := context.WithCancel(context.Background())
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = s.HTTPServer(base)
	ts.Start()
	t.Cleanup(func() {
		cancel()
		ts.Close()
	})
	return &testServer{Server: ts, s: s, hub: hub, log: logs, cancel: cancel}
}

// answer is what a request got back.
type answer struct {
	status int
	header http.Header
	body   string
	err    string // the "error" field of a JSON body
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, body: strings.TrimSpace(string(raw))}
	var obj struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		a.err = obj.Error
	}
	return a
}

// request builds a request; headers are name, value pairs.
func request(t *testing.T, method, url, body string, headers ...string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// call POSTs a call with the bearer token and any further headers.
func (ts *testServer) call(t *testing.T, method, args string, headers ...string) answer {
	t.Helper()
	return do(t, request(t, http.MethodPost, ts.URL+"/api/call/"+method, args, append([]string{"Authorization", "Bearer " + testToken}, headers...)...))
}

// waitFor polls a state, bounded, and fails the test if it never holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// recv waits for a value from a channel, bounded.
func recv[T any](t *testing.T, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// contextForRequests is a context the test cancels to make its clients
// leave; it ends with the test at the latest.
func contextForRequests(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, cancel
}
