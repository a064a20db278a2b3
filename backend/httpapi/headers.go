package httpapi

import "net/http"

// contentSecurityPolicy lets the UI load only its own scripts, styles and
// data: an injected <script> or a link to another site's code does not run,
// and no other page may frame this one (clickjacking). Inline styles stay
// allowed because Svelte sets style attributes; the built index.html has no
// inline script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; " +
	"form-action 'self'; object-src 'none'"

// securityHeaders sets the browser protections on every response, the UI's
// files, the API and every refusal alike, before anything else can answer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Another origin may neither embed these responses (a <script src>
		// reading our JSON) nor keep a window handle on our pages.
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if isAPI(r.URL.Path) {
			// Answers hold the user's data: no cache, on disk or shared, keeps them.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
