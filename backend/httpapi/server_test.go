package httpapi

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCallConventions(t *testing.T) {
	ts := newTestServer(t)
	a := ts.call(t, "Calc/Add", `[{"a":2,"b":3}]`)
	require.Equal(t, 200, a.status)
	require.Equal(t, "5", a.body)

	a = ts.call(t, "Calc/Div", `[1,0]`)
	require.Equal(t, 422, a.status)
	require.Equal(t, "division by zero", a.err)

	a = ts.call(t, "Calc/Div", `[1]`)
	require.Equal(t, 400, a.status)
	require.Contains(t, a.err, "takes 2 argument(s), got 1")

	a = ts.call(t, "Calc/Add", `[{"a":"x"}]`)
	require.Equal(t, 400, a.status)
	require.Contains(t, a.err, "argument 1")

	a = ts.call(t, "Calc/Nope", `[]`)
	require.Equal(t, 404, a.status)
	require.Contains(t, a.err, "unknown method Calc.Nope")

	// A panicking method is an error for the caller, and the server lives on.
	a = ts.call(t, "Calc/Boom", `[]`)
	require.Equal(t, 500, a.status)
	require.Contains(t, a.err, "kaboom")
	require.NotContains(t, a.err, "goroutine", "stack traces stay in the log")
	require.Contains(t, ts.log.String(), "goroutine", "the stack is logged")
	require.Equal(t, 200, ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`).status)

	a = do(t, request(t, "GET", ts.URL+"/api/methods", "", "Authorization", "Bearer "+testToken))
	require.Equal(t, 200, a.status)
	require.Contains(t, a.body, `"Calc.Add"`)
}

func TestEventsStream(t *testing.T) {
	ts := newTestServer(t)
	resp, err := http.DefaultClient.Do(request(t, "GET", ts.URL+"/api/events", "", "Authorization", "Bearer "+testToken))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, ": connected\n", line)

	waitFor(t, "the stream to subscribe", func() bool { return ts.hub.Clients() == 1 })
	require.Equal(t, 200, ts.call(t, "Calc/Notify", `["hello"]`).status)
	require.Equal(t, []string{"event: calc.note", `data: {"msg":"hello"}`}, readFrame(t, r))
}

// readFrame reads the next event's non-empty lines.
func readFrame(t *testing.T, r *bufio.Reader) []string {
	t.Helper()
	var got []string
	for len(got) < 2 {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, ":") {
			got = append(got, l)
		}
	}
	return got
}

func TestIsLoopback(t *testing.T) {
	require.True(t, IsLoopback("127.0.0.1:8080"))
	require.True(t, IsLoopback("localhost:1"))
	require.True(t, IsLoopback("[::1]:80"))
	require.False(t, IsLoopback("0.0.0.0:8080"))
	require.False(t, IsLoopback(":8080"))
	require.False(t, IsLoopback("192.168.1.4:8080"))
}

func TestRejectsBadServiceValues(t *testing.T) {
	_, err := New(Options{Token: "t", Services: map[string]any{"X": calc{}}})
	require.ErrorContains(t, err, "pointer to a struct")
}

// No configuration serves without a token: loopback is reachable from
// every web page the user opens.
func TestNewRequiresToken(t *testing.T) {
	_, err := New(Options{Services: map[string]any{"Calc": &calc{}}})
	require.ErrorContains(t, err, "access token is required")
}
