package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// credential is what a request presented as its access token.
type credential int

const (
	noCredential credential = iota
	bearerCredential
	cookieCredential
	queryCredential // ?token= on an API request: refused
)

var (
	errTokenRequired  = errors.New("access token required: open the URL `whetstone serve` printed (it ends in ?token=...), or send the token as `Authorization: Bearer TOKEN`")
	errWrongToken     = errors.New("wrong access token: open the URL `whetstone serve` printed (it ends in ?token=...), or send the token as `Authorization: Bearer TOKEN`")
	errTokenInURL     = errors.New("the access token is not accepted in an API URL, where logs and history would keep it: send it as `Authorization: Bearer TOKEN`, or open the URL `whetstone serve` printed once so the browser holds it in a cookie")
	errWrongPageToken = errors.New("this is not the access token of this Whetstone server: open the URL `whetstone serve` printed when it started (it ends in ?token=...), or paste the token it printed")
)

// auth admits API requests that carry the token, as a bearer header or the
// session cookie, and turns a page load with ?token= into that cookie.
// The UI's files hold no data, so they load without a token: a page opened
// without one then shows its own "access token required" screen.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPI(r.URL.Path) {
			if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Query().Has("token") {
				s.pageLogin(w, r)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		kind, got := presented(r)
		if kind == noCredential {
			// Nothing was guessed, so nothing is counted: a page opened
			// without its token makes a few of these before asking for it.
			writeError(w, r, http.StatusUnauthorized, errTokenRequired)
			return
		}
		key := clientKey(r.RemoteAddr)
		if s.refuseBlocked(w, r, key) {
			return
		}
		switch {
		case kind == queryCredential:
			s.failed(w, r, key, "token in an API URL", errTokenInURL)
		case kind == bearerCredential && !s.token.matches(got):
			s.failed(w, r, key, "wrong bearer token", errWrongToken)
		case kind == cookieCredential && !s.token.cookieMatches(got):
			http.SetCookie(w, expiredCookie(r))
			s.failed(w, r, key, "wrong session cookie", errWrongToken)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// presented picks the credential a request carries. A bearer header wins
// over the cookie, so a script's explicit token is the one judged.
func presented(r *http.Request) (credential, string) {
	if r.URL.Query().Has("token") {
		return queryCredential, ""
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return bearerCredential, strings.TrimSpace(tok)
		}
		return bearerCredential, "" // another scheme: never the token
	}
	if c, err := r.Cookie(cookieName(r)); err == nil {
		return cookieCredential, c.Value
	}
	return noCredential, ""
}

// pageLogin handles the printed URL, /?token=...: a right token becomes an
// HttpOnly, SameSite=Strict cookie and the browser is sent on to the same
// URL without the token, so the address bar, the history and any bookmark
// never keep it.
func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	key := clientKey(r.RemoteAddr)
	if s.refuseBlocked(w, r, key) {
		return
	}
	q := r.URL.Query()
	if !s.token.matches(q.Get("token")) {
		s.failed(w, r, key, "wrong token in a page URL", errWrongPageToken)
		return
	}
	http.SetCookie(w, s.sessionCookie(r))
	q.Del("token")
	w.Header().Set("Location", cleanLocation(r.URL.EscapedPath(), q.Encode()))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// cleanLocation is a same-site redirect target for path: leading slashes
// collapse to one, so "//evil.example/" cannot become a redirect to another
// host (a backslash is already escaped as %5C in an escaped path).
func cleanLocation(escapedPath, query string) string {
	loc := "/" + strings.TrimLeft(escapedPath, "/")
	if query != "" {
		loc += "?" + query
	}
	return loc
}

// refuseBlocked answers 429 when key has used up its failures.
func (s *Server) refuseBlocked(w http.ResponseWriter, r *http.Request, key string) bool {
	blocked, wait := s.failures.blocked(key)
	if !blocked {
		return false
	}
	s.log.Debug().Str("remote", r.RemoteAddr).Str("path", capString(r.URL.Path, 200)).Msg("refused a client with too many wrong access tokens")
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
	writeError(w, r, http.StatusTooManyRequests, errors.New("too many wrong access tokens from this address; wait a minute and use the URL `whetstone serve` printed"))
	return true
}

// failed logs and counts a refused credential, then answers 401. The log
// names the client and the path, never what it sent.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, key, why string, err error) {
	s.failures.fail(key)
	s.log.Warn().Str("remote", r.RemoteAddr).Str("method", r.Method).Str("path", capString(r.URL.Path, 200)).Str("reason", why).Msg("refused an access token")
	writeError(w, r, http.StatusUnauthorized, err)
}
