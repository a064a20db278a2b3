package httpapi

import (
	"math"
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTrackedClients bounds the failure table: an attacker with many
// addresses (an IPv6 block) must not grow it without end.
const maxTrackedClients = 4096

// failureLimiter counts wrong tokens per client address: a token bucket
// per client that each failure drains and that refills at the allowed rate.
// A client with an empty bucket is refused before its token is even looked
// at, so it cannot keep guessing and watch for the one success.
type failureLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	max     int
	now     func() time.Time
	clients map[string]*failures
}

type failures struct {
	lim  *rate.Limiter
	seen time.Time
}

func newFailureLimiter(perMinute, maxClients int, now func() time.Time) *failureLimiter {
	return &failureLimiter{
		every:   rate.Every(time.Minute / time.Duration(perMinute)),
		burst:   perMinute,
		max:     maxClients,
		now:     now,
		clients: map[string]*failures{},
	}
}

// clientKey is who a failure is counted against: the peer's IP, or its /64
// for a global IPv6 address, where one host commonly holds the whole block. Forwarded-for
// headers are not trusted: any client can write them.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil && !ip.IsLoopback() {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// blocked reports whether key has used up its failures, and how long until
// it may try again.
func (l *failureLimiter) blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[key]
	if c == nil {
		return false, 0
	}
	tokens := c.lim.TokensAt(l.now())
	if tokens >= 1 {
		return false, 0
	}
	wait := time.Duration((1 - tokens) / float64(l.every) * float64(time.Second))
	return true, wait
}

// fail counts one failure against key.
func (l *failureLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c := l.clients[key]
	if c == nil {
		l.makeRoom(now)
		c = &failures{lim: rate.NewLimiter(l.every, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	c.lim.AllowN(now, 1)
}

// makeRoom keeps the table under its bound: first it forgets clients whose
// bucket has refilled (they are as good as new), then, if it must, the one
// not seen for longest.
func (l *failureLimiter) makeRoom(now time.Time) {
	if len(l.clients) < l.max {
		return
	}
	for k, c := range l.clients {
		if c.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, k)
		}
	}
	for len(l.clients) >= l.max {
		oldest, when := "", time.Time{}
		for k, c := range l.clients {
			if oldest == "" || c.seen.Before(when) {
				oldest, when = k, c.seen
			}
		}
		delete(l.clients, oldest)
	}
}

// size is how many clients the table holds.
func (l *failureLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// retryAfter is a Retry-After value in whole seconds, at least 1.
func retryAfter(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}
