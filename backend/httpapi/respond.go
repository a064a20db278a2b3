package httpapi

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
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
	if isVersioned(r.URL.Path) {
		WriteAPIError(w, status, APIError{Code: CodeOf(status), Message: msg})
		return
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

// ErrorBody is the one error shape of the versioned API (/api/v1/ and the
// OpenAI-compatible /v1/): refusals by the guards and failures of the
// handlers alike. The UI's own RPC (/api/call) keeps {"error": "message"}.
type ErrorBody struct {
	Error APIError `json:"error"`
}

// APIError is what went wrong.
type APIError struct {
	// Code is a stable, machine-readable name: "not_found", "invalid",
	// "unauthorized", ... (see CodeOf).
	Code string `json:"code"`
	// Message is for people: the same text the UI shows.
	Message string `json:"message"`
	// Field is the JSON path of the request field at fault, when one is.
	Field string `json:"field,omitempty"`
}

// WriteAPIError answers e in the versioned API's error shape, its message
// capped like every error the server sends.
func WriteAPIError(w http.ResponseWriter, status int, e APIError) {
	e.Message = capString(e.Message, maxErrorChars)
	if e.Code == "" {
		e.Code = CodeOf(status)
	}
	writeJSON(w, status, ErrorBody{Error: e})
}

// CodeOf is the error code that goes with an HTTP status.
func CodeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestTimeout:
		return "timeout"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "busy"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// errorPage shows a refusal in the browser. Its empty inline icon keeps the
// browser from asking for /favicon.ico, which the UI does not have.
const errorPage = `<!doctype html>
<meta charset="utf-8"><link rel="icon" href="data:,"><title>Whetstone</title>
<p style="font-family: sans-serif; max-width: 40em; margin: 3em auto">%s</p>
`

// isAPI tells the API (the UI's RPC, the REST API and the OpenAI-compatible
// endpoint) from the UI's files. It looks at the decoded path, the
// one ServeMux matches, so "/%61pi/..." is the API too.
func isAPI(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || isVersioned(path)
}

// isVersioned tells the versioned API, REST and OpenAI-compatible, whose
// errors have the ErrorBody shape. The REST API's OpenAPI document
// (/api/openapi.json) describes its own errors in that shape too.
func isVersioned(path string) bool {
	return path == "/v1" || strings.HasPrefix(path, "/v1/") || path == "/api/v1" || strings.HasPrefix(path, "/api/v1/") ||
		path == "/api/openapi.json"
}
