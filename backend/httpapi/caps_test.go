package httpapi

import (
	"bufio"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConcurrentCallsAreCapped(t *testing.T) {
	ts, p := patientServer(t, 0, func(o *Options) { o.MaxCalls = 2 })
	// Two calls hold both slots until the test ends them.
	ctx, cancel := contextForRequests(t)
	done := make(chan int, 2)
	for range 2 {
		go func() {
			req := request(t, "POST", ts.URL+"/api/call/Patient/Block", `[]`, "Authorization", "Bearer "+testToken)
			resp, err := http.DefaultClient.Do(req.WithContext(ctx))
			if err == nil {
				resp.Body.Close()
			}
			done <- 0
		}()
	}
	recv(t, "the first call to start", p.started)
	recv(t, "the second call to start", p.started)

	a := ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`)
	require.Equal(t, http.StatusServiceUnavailable, a.status)
	require.Equal(t, "1", a.header.Get("Retry-After"))
	require.Contains(t, a.err, "2 calls")
	a = do(t, request(t, "GET", ts.URL+"/api/methods", "", "Authorization", "Bearer "+testToken))
	require.Equal(t, http.StatusServiceUnavailable, a.status)

	cancel() // the clients leave; their calls see it and end
	recv(t, "the first call to end", p.ended)
	recv(t, "the second call to end", p.ended)
	recv(t, "the first client", done)
	recv(t, "the second client", done)
	waitFor(t, "the slots to free", func() bool { return ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`).status == 200 })
}

func TestEventStreamsAreCapped(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.MaxStreams = 1 })
	open := func() (*http.Response, error) {
		return http.DefaultClient.Do(request(t, "GET", ts.URL+"/api/events", "", "Authorization", "Bearer "+testToken))
	}
	first, err := open()
	require.NoError(t, err)
	require.Equal(t, 200, first.StatusCode)
	_, err = bufio.NewReader(first.Body).ReadString('\n')
	require.NoError(t, err)

	second, err := open()
	require.NoError(t, err)
	second.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, second.StatusCode)
	require.Equal(t, "1", second.Header.Get("Retry-After"))

	// Closing the first frees its slot.
	first.Body.Close()
	waitFor(t, "the slot to free", func() bool {
		r, err := open()
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == 200
	})
}
