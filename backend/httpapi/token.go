package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// NewToken returns a random 128-bit access token.
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate access token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// tokenCheck compares presented credentials with the server's token.
type tokenCheck struct {
	sum    [32]byte // of the token: comparing digests leaks not even its length
	cookie string   // the browser session's cookie value
}

func newTokenCheck(token string) tokenCheck {
	// The cookie holds a value derived from the token, not the token: the
	// browser keeps cookies on disk and sends them to every port of the
	// host, and a token from $WHETSTONE_TOKEN may be shared by several
	// machines, while this value admits a browser to this server only.
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("whetstone browser session v1"))
	return tokenCheck{sum: sha256.Sum256([]byte(token)), cookie: hex.EncodeToString(mac.Sum(nil))}
}

func (t tokenCheck) matches(got string) bool {
	s := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(s[:], t.sum[:]) == 1
}

func (t tokenCheck) cookieMatches(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(t.cookie)) == 1
}

// cookieName carries the server's port: cookies ignore ports, so two
// servers on one machine would otherwise overwrite each other's sessions.
func cookieName(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		return "whetstone_session_" + strconv.Itoa(a.Port)
	}
	return "whetstone_session"
}

// isHTTPS tells whether the browser reached us over TLS, directly or
// through a proxy that says so. A page on another origin cannot add
// X-Forwarded-Proto to its requests without a CORS preflight, which this
// server never grants.
func isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

func (s *Server) sessionCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{
		Name: cookieName(r), Value: s.token.cookie, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r),
	}
}

// expiredCookie tells the browser to drop a session cookie that no longer
// matches (the server restarted with a new token), so a stale tab stops
// spending the client's allowance of failures on every request.
func expiredCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{Name: cookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r)}
}
