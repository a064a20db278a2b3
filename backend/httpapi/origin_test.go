package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCrossOriginRefused(t *testing.T) {
	ts := newTestServer(t)
	// A page elsewhere, even one that got hold of the token.
	for _, origin := range []string{"http://evil.example", "null", "https://" + ts.Listener.Addr().String(), "http://127.0.0.1:1"} {
		a := ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`, "Origin", origin)
		require.Equal(t, http.StatusForbidden, a.status, origin)
		require.Contains(t, a.err, "cross-origin", origin)
	}
	require.Equal(t, 200, ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`, "Origin", ts.URL).status)
	// Behind a TLS proxy the page's origin is https.
	require.Equal(t, 200, ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`, "Origin", "https://"+ts.Listener.Addr().String(), "X-Forwarded-Proto", "https").status)
}

// Cookies ignore ports: a page on another localhost port is same-site, so
// SameSite=Strict still sends our cookie along. Sec-Fetch-Site, which pages
// cannot forge, tells that page from ours.
func TestSecFetchSiteRefusesOtherSites(t *testing.T) {
	ts := newTestServer(t)
	login := do(t, request(t, "GET", ts.URL+"/?token="+testToken, ""))
	cookie := (&http.Response{Header: login.header}).Cookies()[0]
	withCookie := func(site string) answer {
		req := request(t, "GET", ts.URL+"/api/methods", "", "Sec-Fetch-Site", site)
		req.AddCookie(cookie)
		return do(t, req)
	}
	for _, site := range []string{"same-site", "cross-site", "bogus"} {
		a := withCookie(site)
		require.Equal(t, http.StatusForbidden, a.status, site)
	}
	for _, site := range []string{"same-origin", "none"} {
		require.Equal(t, 200, withCookie(site).status, site)
	}
	// Refused pages spend none of the client's allowance of wrong tokens:
	// a hostile page cannot lock the user out that way.
	for range 3 * defaultAuthFailuresPerMinute {
		withCookie("cross-site")
		ts.call(t, "Calc/Add", `[]`, "Origin", "http://evil.example", "Authorization", "Bearer guess")
	}
	require.Equal(t, 0, ts.s.failures.size())
	require.Equal(t, 200, withCookie("same-origin").status)
}
