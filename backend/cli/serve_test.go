package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer lets the test read what a running command writes.
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

func startServe(t *testing.T, args ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" }, Version: "test"}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, env, append([]string{"serve", "--workspace", t.TempDir()}, args...)) }()
	re := regexp.MustCompile(`serving at (\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], func() { cancel(); require.NoError(t, <-done) }
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	t.Fatal("serve did not print its URL")
	return "", nil
}

func callInfo(t *testing.T, base, bearer string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"api/call/System/Info", strings.NewReader("[]"))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeNonLoopbackGeneratesAndRequiresToken(t *testing.T) {
	url, stop := startServe(t, "--addr", "0.0.0.0:0")
	defer stop()
	base, token, ok := strings.Cut(url, "?token=")
	require.True(t, ok, "a non-loopback serve must print a token URL, got %s", url)
	require.Len(t, token, 32)
	// The wildcard address is not printed (a browser cannot open
	// http://[::]:PORT/): the first URL is this machine's loopback.
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), "printed %s", url)
	require.Equal(t, http.StatusUnauthorized, callInfo(t, base, ""))
	require.Equal(t, http.StatusUnauthorized, callInfo(t, base, "nope"))
	require.Equal(t, http.StatusOK, callInfo(t, base, token))
}

func TestServeLoopbackNeedsNoToken(t *testing.T) {
	url, stop := startServe(t, "--addr", "127.0.0.1:0")
	defer stop()
	require.NotContains(t, url, "token=")
	require.Equal(t, http.StatusOK, callInfo(t, url, ""))
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	var stderr bytes.Buffer
	env := &Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }}
	err := Run(context.Background(), env, []string{"frobnicate"})
	require.ErrorIs(t, err, ErrUsage)
	require.Contains(t, stderr.String(), "Commands:")
}

func TestServeURLs(t *testing.T) {
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.1.2.3"), net.ParseIP("fe80::1"), net.ParseIP("2001:db8::5")}
	got := serveURLs(&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "tok", ips)
	require.Equal(t, []string{"http://127.0.0.1:8080/?token=tok", "http://10.1.2.3:8080/?token=tok", "http://[2001:db8::5]:8080/?token=tok"}, got)
	got = serveURLs(&net.TCPAddr{IP: net.ParseIP("192.168.1.9"), Port: 9000}, "", ips)
	require.Equal(t, []string{"http://192.168.1.9:9000/"}, got)
}
