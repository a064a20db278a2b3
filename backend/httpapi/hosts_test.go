package httpapi

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHostPolicy(t *testing.T) {
	none := func() []net.IP { return nil }
	p := newHostPolicy("127.0.0.1:8080", []string{"GPU.lan."}, none)
	for _, h := range []string{"127.0.0.1:8080", "localhost:9", "LOCALHOST.", "[::1]:80", "[0:0::1]", "127.0.0.2:1", "gpu.lan:8080", "gpu.lan"} {
		require.True(t, p.allows(h), h)
	}
	for _, h := range []string{"", "evil.example:8080", "localhost.evil.example", "10.0.0.5:8080", "[2001:db8::1]:80", "gpu.lan.evil"} {
		require.False(t, p.allows(h), h)
	}

	// A named bind allows that name.
	require.True(t, newHostPolicy("myhost.example:80", nil, none).allows("MyHost.example:80"))

	// A wildcard bind allows this machine's addresses, listed again when
	// one is not found (they change), and no others.
	var mu sync.Mutex
	ips := []net.IP{net.ParseIP("10.1.2.3")}
	lists := 0
	ifaces := func() []net.IP {
		mu.Lock()
		defer mu.Unlock()
		lists++
		return ips
	}
	for _, addr := range []string{"0.0.0.0:80", "[::]:80", ":80"} {
		p = newHostPolicy(addr, nil, ifaces)
		require.True(t, p.allows("10.1.2.3:80"), addr)
		require.False(t, p.allows("10.9.9.9:80"), addr)
		require.False(t, p.allows("evil.example:80"), addr)
	}
	mu.Lock()
	ips = append(ips, net.ParseIP("2001:db8::7"))
	mu.Unlock()
	require.True(t, p.allows("[2001:db8::7]:80"), "an address that came up after start")
	before := lists
	require.False(t, p.allows("evil.example:80"))
	require.Equal(t, before, lists, "a name is refused without listing interfaces")
}

// DNS rebinding: a page at evil.example re-points its name to 127.0.0.1.
// The browser then sends "Host: evil.example:PORT" and a matching Origin,
// so the origin check alone would pass; the Host check refuses it
// everywhere, the UI's files and the event stream included, even with the
// right token (which the page might have phished).
func TestDNSRebindingRefused(t *testing.T) {
	ts := newTestServer(t)
	port := mustPort(t, ts.URL)
	evil := "evil.example:" + port
	bearer := "Bearer " + testToken
	for _, req := range []*http.Request{
		request(t, "POST", ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, "Host", evil, "Origin", "http://"+evil, "Authorization", bearer),
		request(t, "GET", ts.URL+"/api/events", "", "Host", evil, "Origin", "http://"+evil, "Authorization", bearer),
		request(t, "GET", ts.URL+"/api/methods", "", "Host", evil, "Authorization", bearer),
		request(t, "GET", ts.URL+"/", "", "Host", evil),
		request(t, "GET", ts.URL+"/index.html", "", "Host", evil),
		request(t, "GET", ts.URL+"/?token="+testToken, "", "Host", evil),
	} {
		a := do(t, req)
		require.Equal(t, http.StatusForbidden, a.status, req.URL.String())
		require.Contains(t, a.body, "--allow-host evil.example", req.URL.String())
		require.Empty(t, a.header.Values("Set-Cookie"), "no session for a refused host")
	}
	require.Contains(t, ts.log.String(), "host name this server does not answer to")

	// The same requests by an allowed name work.
	for _, h := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port} {
		a := do(t, request(t, "POST", ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, "Host", h, "Origin", "http://"+h, "Authorization", bearer))
		require.Equal(t, 200, a.status, h)
	}
}

func TestAllowedHostsOption(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.AllowedHosts = []string{"gpu.lan"} })
	host := "gpu.lan:" + mustPort(t, ts.URL)
	a := ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`, "Host", host, "Origin", "http://"+host)
	require.Equal(t, 200, a.status)
	resp, err := http.DefaultClient.Do(request(t, "GET", ts.URL+"/api/events", "", "Host", host, "Authorization", "Bearer "+testToken))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, ": connected\n", line)
}

func mustPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Port()
}
