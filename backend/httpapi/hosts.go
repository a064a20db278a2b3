package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
)

// hostPolicy decides which Host headers the server answers. A browser sends
// the name it resolved, so refusing unknown names defeats DNS rebinding: a
// page at evil.example that re-points evil.example to 127.0.0.1 still sends
// "Host: evil.example", and its requests get 403 before anything else runs,
// the UI's files included. IP literals cannot be rebound, but only the ones
// this server is reachable at are expected.
type hostPolicy struct {
	names    map[string]bool // lower-case names and canonical IPs
	wildcard bool            // listening on all interfaces: any of their IPs is fine
	ifaceIPs func() []net.IP

	mu     sync.Mutex
	ifaces map[string]bool // interface IPs as last listed
}

func newHostPolicy(addr string, extra []string, ifaceIPs func() []net.IP) *hostPolicy {
	p := &hostPolicy{names: map[string]bool{}, ifaceIPs: ifaceIPs}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		p.names[h] = true
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = normalizeHost(host)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		p.wildcard = true
	} else {
		p.names[host] = true
	}
	for _, h := range extra {
		if h = normalizeHost(h); h != "" {
			p.names[h] = true
		}
	}
	if p.wildcard {
		p.refreshIfaces()
	}
	return p
}

// normalizeHost lower-cases a host, drops IPv6 brackets and zone, a trailing
// dot, and writes an IP in its canonical form, so "LOCALHOST.", "[::1]" and
// "[0:0::1]" compare equal to what the policy stores.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(h, "."), "["), "]"))
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i]
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// hostOf is the host part of a Host header, port ignored.
func hostOf(hostHeader string) string {
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		return normalizeHost(h)
	}
	return normalizeHost(hostHeader)
}

func (p *hostPolicy) allows(hostHeader string) bool {
	h := hostOf(hostHeader)
	if h == "" {
		return false
	}
	if p.names[h] {
		return true
	}
	ip := net.ParseIP(h)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	if !p.wildcard || ip == nil {
		return false
	}
	p.mu.Lock()
	ok := p.ifaces[h]
	p.mu.Unlock()
	if !ok {
		// Addresses change (DHCP, a VPN coming up): list them again before
		// refusing. Only a refused IP literal pays for this.
		p.refreshIfaces()
		p.mu.Lock()
		ok = p.ifaces[h]
		p.mu.Unlock()
	}
	return ok
}

func (p *hostPolicy) refreshIfaces() {
	m := map[string]bool{}
	for _, ip := range p.ifaceIPs() {
		m[ip.String()] = true
	}
	p.mu.Lock()
	p.ifaces = m
	p.mu.Unlock()
}

// hostGuard answers 403 to a request whose Host is not allowed, saying how
// to allow it when the name is the user's own.
func (s *Server) hostGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allows(r.Host) {
			h := capString(hostOf(r.Host), 200)
			s.refusals.Warn().Str("remote", r.RemoteAddr).Str("host", h).Str("path", capString(r.URL.Path, 200)).Msg("refused a request for a host name this server does not answer to")
			writeError(w, r, http.StatusForbidden, fmt.Errorf(
				"this Whetstone server does not answer to the host name %q (a guard against DNS rebinding); if you reach it by that name on purpose, restart it with `whetstone serve --allow-host %s`", h, h))
			return
		}
		next.ServeHTTP(w, r)
	})
}
