package httpapi

import (
	"bufio"
	"io/fs"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/frontend"
)

// Every response carries the browser protections: the UI, the API, the
// event stream and every refusal.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ts := newTestServer(t)
	bearer := "Bearer " + testToken
	cases := []struct {
		req    *http.Request
		status int
		api    bool
	}{
		{request(t, "GET", ts.URL+"/", ""), 200, false},
		{request(t, "GET", ts.URL+"/missing.js", ""), 404, false},
		{request(t, "GET", ts.URL+"/?token="+testToken, ""), 303, false},
		{request(t, "GET", ts.URL+"/?token=wrong", ""), 401, false},
		{request(t, "GET", ts.URL+"/", "", "Host", "evil.example"), 403, false},
		{request(t, "GET", ts.URL+"/api/methods", "", "Authorization", bearer), 200, true},
		{request(t, "POST", ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, "Authorization", bearer), 200, true},
		{request(t, "POST", ts.URL+"/api/call/Calc/Div", `[1,0]`, "Authorization", bearer), 422, true},
		{request(t, "POST", ts.URL+"/api/call/Calc/Add", `[]`), 401, true},
		{request(t, "POST", ts.URL+"/api/call/Calc/Add", `[]`, "Authorization", bearer, "Origin", "http://evil.example"), 403, true},
		{request(t, "POST", ts.URL+"/api/call/Calc/Add", `[]`, "Authorization", bearer, "Content-Type", "text/plain"), 415, true},
	}
	for _, c := range cases {
		a := do(t, c.req)
		name := c.req.Method + " " + c.req.URL.RequestURI()
		require.Equal(t, c.status, a.status, name)
		requireProtections(t, a.header, c.api, name)
	}

	resp, err := http.DefaultClient.Do(request(t, "GET", ts.URL+"/api/events", "", "Authorization", bearer))
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	requireProtections(t, resp.Header, true, "events")
}

func requireProtections(t *testing.T, h http.Header, api bool, name string) {
	t.Helper()
	require.Equal(t, "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
		h.Get("Content-Security-Policy"), name)
	require.Equal(t, "DENY", h.Get("X-Frame-Options"), name)
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), name)
	require.Equal(t, "no-referrer", h.Get("Referrer-Policy"), name)
	require.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"), name)
	if api {
		require.Equal(t, "no-store", h.Get("Cache-Control"), name)
	}
}

// The CSP forbids inline scripts, so the built UI must have none (Vite
// emits module scripts with src; a plugin that inlines one would break the
// page under serve).
func TestBuiltUIRunsUnderTheCSP(t *testing.T) {
	assets, err := frontend.Assets()
	if err != nil {
		t.Skip("frontend not built:", err)
	}
	index, err := fs.ReadFile(assets, "index.html")
	require.NoError(t, err)
	for _, tag := range regexp.MustCompile(`(?is)<script\b[^>]*>`).FindAllString(string(index), -1) {
		require.Regexp(t, `\bsrc=`, tag, "inline script in index.html: %s", tag)
	}
	require.NotRegexp(t, `(?i)\son[a-z]+\s*=`, string(index), "inline event handler in index.html")
	require.NotContains(t, string(index), "http-equiv", "a meta CSP would fight the header")
}
