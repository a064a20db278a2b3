package httpapi

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTokenRequiredOnAPI(t *testing.T) {
	ts := newTestServer(t)
	a := do(t, request(t, "POST", ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`))
	require.Equal(t, 401, a.status)
	require.Contains(t, a.err, "access token required")
	for _, h := range []string{"Bearer wrong", "Basic " + testToken, "Bearer"} {
		a = do(t, request(t, "POST", ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, "Authorization", h))
		require.Equal(t, 401, a.status, h)
	}
	for _, path := range []string{"/api/methods", "/api/events", "/api/nothing-here"} {
		require.Equal(t, 401, do(t, request(t, "GET", ts.URL+path, "")).status, path)
	}
	a = ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`)
	require.Equal(t, 200, a.status)
	require.Equal(t, "2", a.body)

	// The UI's files load without the token; the page then asks for it.
	a = do(t, request(t, "GET", ts.URL+"/", ""))
	require.Equal(t, 200, a.status)
	require.Contains(t, a.body, "whetstone")
}

// The printed URL, /?token=..., logs the browser in: an HttpOnly,
// SameSite=Strict cookie, and a redirect to the same URL without the token.
func TestPageLoginSetsCookieAndDropsTokenFromURL(t *testing.T) {
	ts := newTestServer(t)
	a := do(t, request(t, "GET", ts.URL+"/?token="+testToken+"&x=1", ""))
	require.Equal(t, http.StatusSeeOther, a.status)
	require.Equal(t, "/?x=1", a.header.Get("Location"))
	require.Equal(t, "no-store", a.header.Get("Cache-Control"))
	resp := &http.Response{Header: a.header}
	cookies := resp.Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	require.True(t, strings.HasPrefix(c.Name, "whetstone_session_"+mustPort(t, ts.URL)), c.Name)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.False(t, c.Secure, "plain HTTP: a Secure cookie would never come back")
	require.NotContains(t, c.Value, testToken, "the cookie holds a derived value, not the token")

	// The cookie admits the API and the event stream.
	withCookie := func(req *http.Request) *http.Request { req.AddCookie(c); return req }
	a = do(t, withCookie(request(t, "POST", ts.URL+"/api/call/Calc/Add", `[{"a":2,"b":2}]`, "Sec-Fetch-Site", "same-origin", "Origin", ts.URL)))
	require.Equal(t, 200, a.status)
	require.Equal(t, "4", a.body)
	resp, err := http.DefaultClient.Do(withCookie(request(t, "GET", ts.URL+"/api/events", "", "Sec-Fetch-Site", "same-origin")))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, ": connected\n", line)

	// Another page of the UI, and other query parameters, keep their place.
	a = do(t, request(t, "GET", ts.URL+"/index.html?token="+testToken, ""))
	require.Equal(t, "/index.html", a.header.Get("Location"))

	// Behind a TLS proxy the cookie is Secure.
	a = do(t, request(t, "GET", ts.URL+"/?token="+testToken, "", "X-Forwarded-Proto", "https"))
	require.Equal(t, http.StatusSeeOther, a.status)
	require.True(t, (&http.Response{Header: a.header}).Cookies()[0].Secure)
}

func TestPageLoginWithWrongToken(t *testing.T) {
	ts := newTestServer(t)
	a := do(t, request(t, "GET", ts.URL+"/?token=wrong", ""))
	require.Equal(t, 401, a.status)
	require.Contains(t, a.body, "not the access token of this Whetstone server")
	require.Contains(t, a.header.Get("Content-Type"), "text/html", "a browser shows the message as a page")
	require.Contains(t, a.body, `<link rel="icon" href="data:,">`, "no request for /favicon.ico follows")
	require.Empty(t, a.header.Values("Set-Cookie"))
}

// The redirect after a login never leaves the site, whatever the path.
func TestPageLoginRedirectStaysOnSite(t *testing.T) {
	ts := newTestServer(t)
	for path, want := range map[string]string{
		"//evil.example/":  "/evil.example/",
		"///evil.example":  "/evil.example",
		"/%5Cevil.example": "/%5Cevil.example",
		"/a/b/":            "/a/b/",
	} {
		a := do(t, request(t, "GET", ts.URL+path+"?token="+testToken, ""))
		require.Equal(t, http.StatusSeeOther, a.status, path)
		require.Equal(t, want, a.header.Get("Location"), path)
	}
	require.Equal(t, "/x?a=1", cleanLocation("//x", "a=1"))
}

// ?token= is for the page URL only: on the API it would end up in logs and
// history, so it is refused even when right.
func TestTokenInAPIURLRefused(t *testing.T) {
	ts := newTestServer(t)
	for _, req := range []*http.Request{
		request(t, "GET", ts.URL+"/api/methods?token="+testToken, ""),
		request(t, "GET", ts.URL+"/api/events?token="+testToken, ""),
		request(t, "POST", ts.URL+"/api/call/Calc/Add?token="+testToken, `[{"a":1,"b":1}]`, "Authorization", "Bearer "+testToken),
	} {
		a := do(t, req)
		require.Equal(t, 401, a.status, req.URL.Path)
		require.Contains(t, a.err, "Authorization: Bearer", req.URL.Path)
		require.Contains(t, a.err, "printed", req.URL.Path)
	}
}

// A cookie from an earlier run (a new token since) is refused and dropped,
// so a stale tab stops sending it.
func TestStaleCookieIsExpired(t *testing.T) {
	ts := newTestServer(t)
	req := request(t, "GET", ts.URL+"/api/methods", "")
	req.AddCookie(&http.Cookie{Name: "whetstone_session_" + mustPort(t, ts.URL), Value: "from-an-earlier-run"})
	a := do(t, req)
	require.Equal(t, 401, a.status)
	cookies := (&http.Response{Header: a.header}).Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, -1, cookies[0].MaxAge)
}

func TestNewTokenIsRandom(t *testing.T) {
	a, err := NewToken()
	require.NoError(t, err)
	b, err := NewToken()
	require.NoError(t, err)
	require.Len(t, a, 32)
	require.NotEqual(t, a, b)
}
