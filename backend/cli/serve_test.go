package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
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

func startServe(t *testing.T, getenv func(string) string, args ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard, Getenv: getenv, Version: "test"}
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

func noEnv(string) string { return "" }

// callInfo calls System.Info; headers are name, value pairs.
func callInfo(t *testing.T, base, bearer string, headers ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"api/call/System/Info", strings.NewReader("[]"))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Every bind gets a token, loopback included: any web page the user opens
// can reach 127.0.0.1.
func TestServeGeneratesAndRequiresTokenOnEveryBind(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		url, stop := startServe(t, noEnv, "--addr", addr)
		base, token, ok := strings.Cut(url, "?token=")
		require.True(t, ok, "serve must print a token URL, got %s", url)
		require.Len(t, token, 32)
		// The wildcard address is not printed (a browser cannot open
		// http://[::]:PORT/): the first URL is this machine's loopback.
		require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), "printed %s", url)
		code, _ := callInfo(t, base, "")
		require.Equal(t, http.StatusUnauthorized, code, addr)
		code, _ = callInfo(t, base, "nope")
		require.Equal(t, http.StatusUnauthorized, code, addr)
		code, _ = callInfo(t, base, token)
		require.Equal(t, http.StatusOK, code, addr)
		stop()
	}
}

func TestServeTakesTokenFromEnvironment(t *testing.T) {
	url, stop := startServe(t, func(k string) string {
		if k == EnvToken {
			return "from-the-environment-0123"
		}
		return ""
	}, "--addr", "127.0.0.1:0")
	defer stop()
	require.True(t, strings.HasSuffix(url, "/?token=from-the-environment-0123"), url)
}

// A name the user reaches the server by must be allowed; any other is
// refused, with the flag that would allow it (DNS rebinding).
func TestServeAllowHost(t *testing.T) {
	url, stop := startServe(t, noEnv, "--addr", "127.0.0.1:0", "--allow-host", "gpu.lan")
	defer stop()
	base, token, _ := strings.Cut(url, "?token=")
	port := base[strings.LastIndex(base, ":")+1 : len(base)-1]
	code, _ := callInfo(t, base, token, "Host", "gpu.lan:"+port)
	require.Equal(t, http.StatusOK, code)
	code, body := callInfo(t, base, token, "Host", "evil.example:"+port, "Origin", "http://evil.example:"+port)
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, body, "--allow-host evil.example")
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
	got := serveURLs(&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "tok", ips, nil)
	require.Equal(t, []string{"http://127.0.0.1:8080/?token=tok", "http://10.1.2.3:8080/?token=tok", "http://[2001:db8::5]:8080/?token=tok"}, got)
	got = serveURLs(&net.TCPAddr{IP: net.ParseIP("192.168.1.9"), Port: 9000}, "a b&c", ips, []string{"gpu.lan", "::7"})
	require.Equal(t, []string{"http://192.168.1.9:9000/?token=a+b%26c", "http://gpu.lan:9000/?token=a+b%26c", "http://[::7]:9000/?token=a+b%26c"}, got)
}

func TestAllowHostFlag(t *testing.T) {
	var h hostList
	require.NoError(t, h.Set("gpu.lan"))
	require.NoError(t, h.Set("[::7]"))
	require.Equal(t, hostList{"gpu.lan", "::7"}, h)
	require.Error(t, h.Set(""))
	require.Error(t, h.Set("http://gpu.lan/"))
	require.Error(t, h.Set("a b"))
}

func TestAllowedListenHosts(t *testing.T) {
	require.Equal(t, []string{"192.168.1.9"}, allowedListenHosts(&net.TCPAddr{IP: net.ParseIP("192.168.1.9"), Port: 1}))
	require.Nil(t, allowedListenHosts(&net.TCPAddr{IP: net.IPv4zero, Port: 1}))
}

func TestAllowFolderFlag(t *testing.T) {
	var f folderList
	require.NoError(t, f.Set("data"))
	require.True(t, filepath.IsAbs(f[0]))
	require.ErrorContains(t, f.Set("/"), "whole file system")
	require.Error(t, f.Set("  "))
}
