package httpapi

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCapString(t *testing.T) {
	require.Equal(t, "short", capString("short", 10))
	require.Equal(t, "exactly10!", capString("exactly10!", 10))
	require.Equal(t, "abc… (7 more characters)", capString("abcdefghij", 3))
	// Characters, not bytes: a cut never splits one.
	require.Equal(t, "éé… (2 more characters)", capString("éééé", 2))
	require.Equal(t, "éééé", capString("éééé", 4))
}

// A method that echoes a huge argument in its error sends back, and logs,
// only the first part of it; the arguments themselves are never logged.
func TestHugeErrorIsCapped(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.MaxBodyBytes = 16 << 20 })
	huge := strings.Repeat("x", 5<<20)
	a := ts.call(t, "Calc/Echo", `["`+huge+`"]`)
	require.Equal(t, 422, a.status)
	require.LessOrEqual(t, len(a.err), maxErrorChars+100)
	require.True(t, strings.HasPrefix(a.err, "cannot use xxx"), a.err[:40])
	require.True(t, strings.HasSuffix(a.err, "… (5240891 more characters)"), a.err[len(a.err)-40:])
	logs := ts.log.String()
	require.Less(t, len(logs), maxLoggedErrorChars+2000, "the log line is capped")
	require.Contains(t, logs, "more characters")

	// Arguments that fail to decode are not logged either.
	a = ts.call(t, "Calc/Add", `[{"a":"MARKER-IN-BODY"}]`)
	require.Equal(t, 400, a.status)
	a = ts.call(t, "Calc/Div", `[1, 0, "MARKER-IN-BODY"]`)
	require.Equal(t, 400, a.status)
	require.NotContains(t, ts.log.String(), "MARKER-IN-BODY")
}

// A refusal shown as a page escapes what it quotes from the request.
func TestErrorPageEscapes(t *testing.T) {
	rec := httptest.NewRecorder()
	writeError(rec, httptest.NewRequest("GET", "/x", nil), 403, errors.New(`bad "<script>alert(1)</script>"`))
	require.Equal(t, 403, rec.Code)
	require.NotContains(t, rec.Body.String(), "<script>")
	require.Contains(t, rec.Body.String(), "&lt;script&gt;")

	rec = httptest.NewRecorder()
	writeError(rec, httptest.NewRequest("GET", "/api/x", nil), 403, errors.New("nope"))
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	require.JSONEq(t, `{"error":"nope"}`, rec.Body.String())
}
