package httpapi

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"unicode/utf8"
)

const (
	// maxErrorChars caps an error message sent to the client: a method that
	// echoes its 50 MB argument in an error must not send it back.
	maxErrorChars = 2000
	// maxLoggedErrorChars caps one in the log; it is larger so a panic's
	// stack trace survives, yet a log line stays a line.
	maxLoggedErrorChars = 16000
)

// capString keeps the first n characters of s and says how many it dropped.
func capString(s string, n int) string {
	if len(s) <= n { // fewer bytes than n means fewer characters too
		return s
	}
	i := 0
	for count := 0; i < len(s) && count < n; count++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + fmt.Sprintf("… (%d more characters)", utf8.RuneCountInString(s[i:]))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers {"error": message} on the API, and a minimal page
// with the message to a page load, where a browser shows it. The message is
// capped either way.
func writeError(w http.ResponseWriter, r *http.Request, status int, err error) {
	msg := capString(err.Error(), maxErrorChars)
	if !isAPI(r.URL.Path) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, errorPage, html.EscapeString(msg))
		return
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

// errorPage shows a refusal in the browser. Its empty inline icon keeps the
// browser from asking for /favicon.ico, which the UI does not have.
const errorPage = `<!doctype html>
<meta charset="utf-8"><link rel="icon" href="data:,"><title>Whetstone</title>
<p style="font-family: sans-serif; max-width: 40em; margin: 3em auto">%s</p>
`

// isAPI tells the API from the UI's files. It looks at the decoded path, the
// one ServeMux matches, so "/%61pi/..." is the API too.
func isAPI(path string) bool {
	return path == "/api" || len(path) > 4 && path[:5] == "/api/"
}
