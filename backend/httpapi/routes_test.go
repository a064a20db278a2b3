package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// mounted serves three routes of each kind, as the REST package would.
func mounted(o *Options) {
	o.MaxBodyBytes = 64
	o.Routes = []Route{
		{Pattern: "POST /api/v1/echo", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var v map[string]any
			if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
				WriteAPIError(w, http.StatusBadRequest, APIError{Message: err.Error(), Field: "body"})
				return
			}
			writeJSON(w, http.StatusOK, v)
		})},
		{Pattern: "PUT /api/v1/files/{name}", Kind: UploadRoute, MaxBody: 100, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				WriteAPIError(w, http.StatusRequestEntityTooLarge, APIError{Message: err.Error()})
				return
			}
			writeJSON(w, http.StatusCreated, map[string]int64{"bytes": n})
		})},
		{Pattern: "GET /v1/stream", Kind: StreamRoute, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range 3 {
				fmt.Fprintf(w, "data: %d\n\n", i)
				http.NewResponseController(w).Flush()
			}
		})},
	}
}

func TestMountedCallRouteReadsACappedJSONBody(t *testing.T) {
	ts := newTestServer(t, mounted)
	auth := []string{"Authorization", "Bearer " + testToken}

	a := do(t, request(t, http.MethodPost, ts.URL+"/api/v1/echo", `{"a":1}`, auth...))
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.JSONEq(t, `{"a":1}`, a.body)

	a = do(t, request(t, http.MethodPost, ts.URL+"/api/v1/echo", `{"a":"`+strings.Repeat("x", 100)+`"}`, auth...))
	require.Equal(t, http.StatusRequestEntityTooLarge, a.status)
	requireErrorShape(t, a, "too_large")

	a = do(t, request(t, http.MethodPost, ts.URL+"/api/v1/echo", `{}`, append(auth, "Content-Type", "text/plain")...))
	require.Equal(t, http.StatusUnsupportedMediaType, a.status)
	requireErrorShape(t, a, "unsupported_media_type")
}

func TestVersionedRoutesNeedTheTokenAndAnswerTheErrorShape(t *testing.T) {
	ts := newTestServer(t, mounted)
	for _, path := range []string{"/api/v1/echo", "/v1/stream", "/v1/models"} {
		a := do(t, request(t, http.MethodGet, ts.URL+path, ""))
		require.Equal(t, http.StatusUnauthorized, a.status, path)
		requireErrorShape(t, a, "unauthorized")
	}
	// A cross-site page is refused before its token is judged.
	a := do(t, request(t, http.MethodGet, ts.URL+"/v1/stream", "", "Authorization", "Bearer "+testToken, "Sec-Fetch-Site", "cross-site"))
	require.Equal(t, http.StatusForbidden, a.status)
	requireErrorShape(t, a, "forbidden")
	// The UI's RPC keeps its own shape.
	a = do(t, request(t, http.MethodPost, ts.URL+"/api/call/Calc/Add", `[{"a":1,"b":2}]`))
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.NotEmpty(t, a.err)
}

func TestMountedUploadRouteCapsItsBody(t *testing.T) {
	ts := newTestServer(t, mounted)
	put := func(body string) answer {
		req := request(t, http.MethodPut, ts.URL+"/api/v1/files/x.jsonl", body, "Authorization", "Bearer "+testToken, "Content-Type", "application/octet-stream")
		return do(t, req)
	}
	a := put(strings.Repeat("y", 100))
	require.Equal(t, http.StatusCreated, a.status, a.body)
	require.JSONEq(t, `{"bytes":100}`, a.body)
	a = put(strings.Repeat("y", 101))
	require.Equal(t, http.StatusRequestEntityTooLarge, a.status)
	requireErrorShape(t, a, "too_large")
}

func TestMountedStreamRouteSendsFramesAsWritten(t *testing.T) {
	ts := newTestServer(t, mounted)
	req := request(t, http.MethodGet, ts.URL+"/v1/stream", "", "Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var data []string
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = append(data, v)
		}
	}
	require.Equal(t, []string{"0", "1", "2"}, data)
}

func TestRoutesOutsideTheAPIAreRefused(t *testing.T) {
	_, err := New(Options{Token: testToken, Routes: []Route{{Pattern: "GET /download", Handler: http.NotFoundHandler()}}})
	require.ErrorContains(t, err, "not under /api/ or /v1/")
	_, err = New(Options{Token: testToken, Routes: []Route{
		{Pattern: "GET /api/v1/x", Handler: http.NotFoundHandler()},
		{Pattern: "GET /api/v1/x", Handler: http.NotFoundHandler()},
	}})
	require.Error(t, err)
}

func requireErrorShape(t *testing.T, a answer, code string) {
	t.Helper()
	var body ErrorBody
	require.NoError(t, json.Unmarshal([]byte(a.body), &body), a.body)
	require.Equal(t, code, body.Error.Code, a.body)
	require.NotEmpty(t, body.Error.Message)
}
