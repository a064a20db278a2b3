package hub

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// roundTripFunc lets a test stand in for the network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A hub whose name does not resolve fails at once, with a message that
// names the host and says what to do, instead of retrying for half a
// minute and printing Go's repeated-URL error chain.
func TestUnresolvableHubFailsFastWithAClearMessage(t *testing.T) {
	var calls atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}
	})}
	c := New(Options{Endpoint: "https://hub.invalid", CacheDir: t.TempDir(), HTTPClient: hc, RetryBackoff: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.ModelSnapshot(context.Background(), "org/model", "")
	if err == nil {
		t.Fatal("no error from an unresolvable hub")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d requests to a host that does not resolve; want 1", n)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("took %s: it waited for retries", d)
	}
	msg := err.Error()
	for _, want := range []string{"cannot reach the hub at hub.invalid", "no such host", "HF_HUB_OFFLINE=1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Count(msg, "https://hub.invalid/api") > 1 {
		t.Errorf("error repeats the URL: %q", msg)
	}
	var dns *net.DNSError
	if !errors.As(err, &dns) {
		t.Errorf("the DNS error is not wrapped: %v", err)
	}
}

// A dropped connection is still retried (and reported the same way).
func TestConnectionErrorsAreRetried(t *testing.T) {
	var calls atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	})}
	c := New(Options{Endpoint: "https://hub.invalid", CacheDir: t.TempDir(), HTTPClient: hc, RetryBackoff: time.Millisecond, Retries: 2})
	_, err := c.ModelSnapshot(context.Background(), "org/model", "")
	if err == nil || !strings.Contains(err.Error(), "cannot reach the hub") {
		t.Fatalf("error: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests; want 3 (one and two retries)", n)
	}
}
