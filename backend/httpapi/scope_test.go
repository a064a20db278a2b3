package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A call's context ends when its client goes away: a service bound through
// Scope sees it and can stop work nobody waits for.
func TestScopedCallSeesClientLeave(t *testing.T) {
	ts, p := patientServer(t, 0)
	ctx, cancel := contextForRequests(t)
	gone := make(chan error, 1)
	go func() {
		req := request(t, "POST", ts.URL+"/api/call/Patient/Block", `[]`, "Authorization", "Bearer "+testToken)
		_, err := http.DefaultClient.Do(req.WithContext(ctx))
		gone <- err
	}()
	recv(t, "the call to start", p.started)
	cancel() // the client disconnects
	require.ErrorIs(t, recv(t, "the client to give up", gone), context.Canceled)
	require.ErrorIs(t, recv(t, "the service to see its context end", p.ended), context.Canceled)
}

// otherCalc has Calc's Add, with the same signature, on another type.
type otherCalc struct{}

func (otherCalc) Add(p pair) (int, error) { return 100 + p.A + p.B, nil }

// twisted has an Add of another signature.
type twisted struct{}

func (*twisted) Add(a, b int) int { return a + b }

func TestScopeResolvesReceiversByName(t *testing.T) {
	scoped := map[string]any{}
	ts := newTestServer(t, func(o *Options) {
		o.Scope = func(context.Context) map[string]any { return scoped }
	})

	scoped["Calc"] = &calc{}
	require.Equal(t, "3", ts.call(t, "Calc/Add", `[{"a":1,"b":2}]`).body)

	scoped["Calc"] = otherCalc{} // the method of that name on whatever Scope gives
	require.Equal(t, "103", ts.call(t, "Calc/Add", `[{"a":1,"b":2}]`).body)

	scoped["Calc"] = &twisted{}
	a := ts.call(t, "Calc/Add", `[{"a":1,"b":2}]`)
	require.Equal(t, 500, a.status)
	require.Contains(t, a.err, "without the method Add(httpapi.pair)")

	delete(scoped, "Calc")
	a = ts.call(t, "Calc/Add", `[{"a":1,"b":2}]`)
	require.Equal(t, 500, a.status)
	require.Contains(t, a.err, "no service Calc")

	// The method table still comes from Options.Services.
	require.Equal(t, 404, ts.call(t, "Calc/Sub", `[1,2]`).status)
}
