package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestWrongTokensAreLimitedAndLogged(t *testing.T) {
	ts := newTestServer(t)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ts.s.failures.now = clock.now
	guess := func(tok string) answer {
		return do(t, request(t, "GET", ts.URL+"/api/methods", "", "Authorization", "Bearer "+tok))
	}
	for i := range defaultAuthFailuresPerMinute {
		require.Equal(t, 401, guess(fmt.Sprintf("guess-%d-XYZZY", i)).status, i)
	}
	a := guess("guess-last-XYZZY")
	require.Equal(t, http.StatusTooManyRequests, a.status)
	secs, err := strconv.Atoi(a.header.Get("Retry-After"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, secs, 1)
	require.LessOrEqual(t, secs, 60)

	// Blocked means blocked: the right token gets 429 too, or a guesser
	// could keep going and watch for the one success. Page logins as well.
	require.Equal(t, http.StatusTooManyRequests, guess(testToken).status)
	require.Equal(t, http.StatusTooManyRequests, do(t, request(t, "GET", ts.URL+"/?token="+testToken, "")).status)

	// A request with no token is not a guess: it keeps its plain 401.
	require.Equal(t, 401, do(t, request(t, "GET", ts.URL+"/api/methods", "")).status)

	// The bucket refills at the allowed rate.
	clock.advance(time.Duration(secs) * time.Second)
	require.Equal(t, 200, guess(testToken).status)

	logs := ts.log.String()
	require.Equal(t, defaultAuthFailuresPerMinute, strings.Count(logs, "refused an access token"), logs)
	require.Contains(t, logs, `"remote":"127.0.0.1:`)
	require.Contains(t, logs, `"path":"/api/methods"`)
	require.NotContains(t, logs, "XYZZY", "a guessed token is never logged")
	require.NotContains(t, logs, testToken, "nor the real one")
}

func TestFailureTableIsBounded(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newFailureLimiter(10, 8, clock.now)
	for i := range 1000 {
		l.fail(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		clock.advance(time.Millisecond)
		require.LessOrEqual(t, l.size(), 8)
	}
	// The newest clients are the ones kept, still counted.
	l.fail("10.0.3.231")
	for range 9 {
		l.fail("10.0.3.231")
	}
	blocked, _ := l.blocked("10.0.3.231")
	require.True(t, blocked)

	// A client whose bucket refilled is forgotten first.
	l = newFailureLimiter(10, 2, clock.now)
	for range 10 {
		l.fail("a")
	}
	l.fail("b")
	clock.advance(time.Minute)
	l.fail("c") // "b" refilled and goes; "a" too, refilled as well
	blocked, _ = l.blocked("c")
	require.False(t, blocked)
	require.LessOrEqual(t, l.size(), 2)
}

func TestClientKey(t *testing.T) {
	require.Equal(t, "127.0.0.1", clientKey("127.0.0.1:5555"))
	require.Equal(t, "2001:db8:1:2::/64", clientKey("[2001:db8:1:2:aaaa::1]:80"))
	require.Equal(t, clientKey("[2001:db8:1:2::1]:80"), clientKey("[2001:db8:1:2:ffff::9]:81"), "one /64 is one client")
	require.Equal(t, "::1", clientKey("[::1]:80"))
}
