package httpapi

import (
	"fmt"
	"net/http"
	"strings"
)

// originGuard refuses API requests a browser made for a page of another
// origin. The token already stops them, but refusing them first means a
// hostile page cannot spend the user's allowance of wrong tokens, and the
// cookie is no help to it either: cookies ignore ports, so a page on
// another localhost port is "same-site" and SameSite=Strict still sends
// the cookie along.
//
// Origin, when present, must be this server's own scheme://host.
// Sec-Fetch-Site, which browsers send on every request and pages cannot
// forge, must be same-origin, or none (the user typed the URL). Scripts and
// curl send neither and are judged by their token alone.
func (s *Server) originGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPI(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !strings.EqualFold(origin, selfOrigin(r)) {
			s.refuseCrossOrigin(w, r, fmt.Errorf("cross-origin request from %s refused", capString(origin, 200)))
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			s.refuseCrossOrigin(w, r, fmt.Errorf("%s request refused: the API answers only this server's own pages", capString(site, 50)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) refuseCrossOrigin(w http.ResponseWriter, r *http.Request, err error) {
	s.refusals.Warn().Str("remote", r.RemoteAddr).Str("path", capString(r.URL.Path, 200)).Str("origin", capString(r.Header.Get("Origin"), 200)).Str("sec_fetch_site", capString(r.Header.Get("Sec-Fetch-Site"), 50)).Msg("refused a cross-origin request")
	writeError(w, r, http.StatusForbidden, err)
}

// selfOrigin is the origin a page of this server has, as its browser
// would write it in the Origin header.
func selfOrigin(r *http.Request) string {
	if isHTTPS(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
