package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readUntilClosed reads what the server sends until it closes the
// connection. The deadline only keeps a broken server from hanging the
// test; passing never depends on it.
func readUntilClosed(t *testing.T, conn net.Conn) string {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open; it sent %q", got)
	}
	return string(got)
}

// A body that trickles in is cut off by the body timeout and the
// connection closed.
func TestSlowBodyIsCutOff(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Timeouts.Body = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/call/Calc/Add HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"a\":",
		ts.Listener.Addr(), testToken)
	got := readUntilClosed(t, conn)
	require.True(t, strings.HasPrefix(got, "HTTP/1.1 408 "), "got %q", got)
	require.Contains(t, got, "too slowly")
}

// Headers that never end are cut off too.
func TestSlowHeadersAreCutOff(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Timeouts.Header = 100 * time.Millisecond })
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nX-Slow: ", ts.Listener.Addr())
	readUntilClosed(t, conn)
}

// patient is a service whose calls see their context through Scope.
type patient struct {
	ctx     context.Context
	wait    time.Duration
	started chan struct{}
	ended   chan error
}

// Outlast runs past the body timeout and reports whether its context
// survived.
func (p *patient) Outlast() (string, error) {
	select {
	case <-p.ctx.Done():
		return "", fmt.Errorf("cancelled: %w", p.ctx.Err())
	case <-time.After(p.wait):
		return "ok", nil
	}
}

// Block signals it started, then waits for its context to end.
func (p *patient) Block() error {
	p.started <- struct{}{}
	<-p.ctx.Done()
	p.ended <- p.ctx.Err()
	return p.ctx.Err()
}

func patientServer(t *testing.T, wait time.Duration, configure ...func(*Options)) (*testServer, *patient) {
	t.Helper()
	shared := &patient{wait: wait, started: make(chan struct{}, 8), ended: make(chan error, 8)}
	ts := newTestServer(t, append([]func(*Options){func(o *Options) {
		o.Services["Patient"] = &patient{}
		o.Scope = func(ctx context.Context) map[string]any {
			p := *shared
			p.ctx = ctx
			return map[string]any{"Calc": o.Services["Calc"], "Patient": &p}
		}
	}}, configure...)...)
	return ts, shared
}

// The body timeout must not cancel a call that runs longer than it: a read
// deadline left set while the call runs fails the server's background read
// and cancels the request's context (a read deadline set after the body,
// instead of cleared, fails this test).
func TestLongCallOutlivesBodyTimeout(t *testing.T) {
	ts, _ := patientServer(t, 300*time.Millisecond, func(o *Options) { o.Timeouts.Body = 50 * time.Millisecond })
	a := ts.call(t, "Patient/Outlast", `[]`)
	require.Equal(t, 200, a.status, a.err)
	require.Equal(t, `"ok"`, a.body)
}

// Nor may it end an event stream.
func TestEventStreamOutlivesBodyTimeout(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Timeouts.Body = 50 * time.Millisecond })
	resp, err := http.DefaultClient.Do(request(t, "GET", ts.URL+"/api/events", "", "Authorization", "Bearer "+testToken))
	require.NoError(t, err)
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	_, err = r.ReadString('\n')
	require.NoError(t, err)
	waitFor(t, "the stream to subscribe", func() bool { return ts.hub.Clients() == 1 })
	<-time.After(300 * time.Millisecond) // well past the body timeout
	ts.hub.Emit("late", map[string]int{"n": 1})
	require.Equal(t, []string{"event: late", `data: {"n":1}`}, readFrame(t, r))
}

// A tab that stops reading its stream is dropped once a frame has waited
// its write timeout, freeing its slot.
func TestStalledEventStreamIsDropped(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Timeouts.Event = 100 * time.Millisecond })
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", ts.Listener.Addr(), testToken)
	waitFor(t, "the stream to subscribe", func() bool { return ts.hub.Clients() == 1 })
	big := strings.Repeat("x", 1<<20)
	for i := 0; i < 200 && ts.hub.Clients() > 0; i++ {
		ts.hub.Emit("big", big) // fills the socket buffers the client never drains
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, "the stalled stream to be dropped", func() bool { return ts.hub.Clients() == 0 })
}

// Shutting down ends the calls in progress: their contexts derive from
// the server's BaseContext.
func TestBaseContextEndsCallsAtShutdown(t *testing.T) {
	ts, p := patientServer(t, 0)
	done := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(request(t, "POST", ts.URL+"/api/call/Patient/Block", `[]`, "Authorization", "Bearer "+testToken))
		if err != nil {
			done <- answer{err: err.Error()}
			return
		}
		resp.Body.Close()
		done <- answer{status: resp.StatusCode}
	}()
	recv(t, "the call to start", p.started)
	ts.cancel()
	require.ErrorIs(t, recv(t, "the call to see its context end", p.ended), context.Canceled)
	require.Equal(t, 422, recv(t, "the answer", done).status)
}

func TestHTTPServerSettings(t *testing.T) {
	s, err := New(Options{Token: testToken, Services: map[string]any{"Calc": &calc{}}})
	require.NoError(t, err)
	hs := s.HTTPServer(context.Background())
	require.Equal(t, 10*time.Second, hs.ReadHeaderTimeout)
	require.Equal(t, 60*time.Second, hs.ReadTimeout)
	require.Equal(t, 2*time.Minute, hs.IdleTimeout)
	require.Zero(t, hs.WriteTimeout, "writes are bounded per route")
	require.Equal(t, maxHeaderBytes, hs.MaxHeaderBytes)
	require.NotNil(t, hs.BaseContext)
}
