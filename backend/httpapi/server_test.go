package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

type pair struct {
	A int `json:"a"`
	B int `json:"b"`
}

type calc struct{ hub *Hub }

func (c *calc) Add(p pair) (int, error) { return p.A + p.B, nil }
func (c *calc) Div(a, b int) (int, error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	return a / b, nil
}
func (c *calc) Boom() string      { panic("kaboom") }
func (c *calc) Notify(msg string) { c.hub.Emit("calc.note", map[string]string{"msg": msg}) }

func newTestServer(t *testing.T, token string) (*httptest.Server, *Hub) {
	t.Helper()
	hub := NewHub()
	s, err := New(Options{
		Services: map[string]any{"Calc": &calc{hub: hub}},
		Assets:   fstest.MapFS{"index.html": {Data: []byte("<h1>whetstone</h1>")}},
		Token:    token,
		Hub:      hub,
		Log:      zerolog.Nop(),
	})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, hub
}

func post(t *testing.T, url, body string, header map[string]string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	_ = json.Unmarshal(raw, &obj)
	return resp.StatusCode, obj, strings.TrimSpace(string(raw))
}

func TestCallConventions(t *testing.T) {
	ts, _ := newTestServer(t, "")
	code, _, raw := post(t, ts.URL+"/api/call/Calc/Add", `[{"a":2,"b":3}]`, nil)
	require.Equal(t, 200, code)
	require.Equal(t, "5", raw)

	code, obj, _ := post(t, ts.URL+"/api/call/Calc/Div", `[1,0]`, nil)
	require.Equal(t, 422, code)
	require.Equal(t, "division by zero", obj["error"])

	code, obj, _ = post(t, ts.URL+"/api/call/Calc/Div", `[1]`, nil)
	require.Equal(t, 400, code)
	require.Contains(t, obj["error"], "takes 2 argument(s), got 1")

	code, obj, _ = post(t, ts.URL+"/api/call/Calc/Add", `[{"a":"x"}]`, nil)
	require.Equal(t, 400, code)
	require.Contains(t, obj["error"], "argument 1")

	code, obj, _ = post(t, ts.URL+"/api/call/Calc/Nope", `[]`, nil)
	require.Equal(t, 404, code)
	require.Contains(t, obj["error"], "unknown method Calc.Nope")

	// A panicking method is an error for the caller, and the server lives on.
	code, obj, _ = post(t, ts.URL+"/api/call/Calc/Boom", `[]`, nil)
	require.Equal(t, 500, code)
	require.Contains(t, obj["error"], "kaboom")
	require.NotContains(t, obj["error"], "goroutine", "stack traces stay in the log")
	code, _, _ = post(t, ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, nil)
	require.Equal(t, 200, code)
}

func TestRefusesCrossOriginAndNonJSON(t *testing.T) {
	ts, _ := newTestServer(t, "")
	code, _, _ := post(t, ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, map[string]string{"Origin": "http://evil.example"})
	require.Equal(t, 403, code)
	resp, err := http.Post(ts.URL+"/api/call/Calc/Add", "text/plain", strings.NewReader(`[{"a":1,"b":1}]`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 415, resp.StatusCode)
}

func TestTokenRequired(t *testing.T) {
	ts, _ := newTestServer(t, "s3cret")
	code, obj, _ := post(t, ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, nil)
	require.Equal(t, 401, code)
	require.Contains(t, obj["error"], "access token required")
	// The UI's files load without it (the page then asks for the token)...
	resp, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	// ...but no API call or event stream does.
	resp, err = http.Get(ts.URL + "/api/methods")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
	resp, err = http.Get(ts.URL + "/api/events")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
	resp, err = http.Get(ts.URL + "/?token=wrong")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)

	code, _, _ = post(t, ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, map[string]string{"Authorization": "Bearer wrong"})
	require.Equal(t, 401, code)
	code, _, raw := post(t, ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":1}]`, map[string]string{"Authorization": "Bearer s3cret"})
	require.Equal(t, 200, code)
	require.Equal(t, "2", raw)

	// Opening the printed URL sets a cookie that admits the page's assets.
	resp, err = http.Get(ts.URL + "/?token=s3cret")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(body), "whetstone")
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	req, _ := http.NewRequest("GET", ts.URL+"/index.html", nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

func TestEventsStream(t *testing.T) {
	ts, hub := newTestServer(t, "tok")
	req, _ := http.NewRequest("GET", ts.URL+"/api/events?token=tok", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, ": connected\n", line)

	deadline := time.Now().Add(5 * time.Second)
	for hub.Clients() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	code, _, _ := post(t, ts.URL+"/api/call/Calc/Notify", `["hello"]`, map[string]string{"Authorization": "Bearer tok"})
	require.Equal(t, 200, code)
	var got []string
	for len(got) < 2 {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		if strings.TrimSpace(line) != "" {
			got = append(got, strings.TrimSpace(line))
		}
	}
	require.Equal(t, []string{"event: calc.note", `data: {"msg":"hello"}`}, got)
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
	_, err := New(Options{Services: map[string]any{"X": calc{}}})
	require.ErrorContains(t, err, "pointer to a struct")
}
