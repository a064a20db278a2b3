package restapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/backend/openaiapi"
	"github.com/whetstone-ai/whetstone/backend/restapi"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

const token = "rest-test-token-0123456789abcdef"

// maxBody is the JSON body bound of the test server, small enough to pass.
const maxBody = 256 << 10

// env is a server over real services and a temporary workspace, with the
// demo model and data in it. Every answer it gets is checked against the
// OpenAPI document the server serves.
type env struct {
	t    *testing.T
	url  string
	ws   *workspace.Workspace
	demo demo.Files
	val  validator.Validator
	dir  string // removed when the tests end
}

var (
	shared     *env
	sharedOnce sync.Once
)

// newEnv starts one server for the package's tests: training the demo once
// is the expensive part, and the tests share its run.
func newEnv(t *testing.T) *env {
	t.Helper()
	sharedOnce.Do(func() { shared = start(t) })
	if shared == nil {
		t.Fatal("the test server did not start")
	}
	shared.t = t
	return shared
}

func start(t *testing.T) *env {
	dir, err := os.MkdirTemp("", "restapi-test-")
	require.NoError(t, err)
	ws, err := workspace.Open(filepath.Join(dir, "ws"))
	require.NoError(t, err)
	files, err := demo.Create(filepath.Join(ws.ModelsDir(), "demo"))
	require.NoError(t, err)
	hfCache := filepath.Join(dir, "hf")
	getenv := func(k string) string {
		switch k {
		case "HF_HUB_CACHE":
			return hfCache
		case "HF_HUB_OFFLINE":
			return "1" // tests never touch the network
		}
		return ""
	}
	hub := httpapi.NewHub()
	events := restapi.NewBroadcaster()
	svc, err := service.New(service.Deps{
		Workspace: ws, Events: restapi.Tee(hub, events), Log: zerolog.Nop(), Version: "test",
		Context: context.Background(), Getenv: getenv, Remote: true,
	})
	require.NoError(t, err)
	routes, err := restapi.Routes(restapi.Deps{Services: svc, Workspace: ws, Events: events, Log: zerolog.Nop()})
	require.NoError(t, err)
	// The OpenAI-compatible endpoint too, as serve mounts it: the document
	// describes it, so its answers are checked the same way.
	routes = append(routes, openaiapi.Routes(openaiapi.Deps{Services: svc, Log: zerolog.Nop()})...)
	srv, err := httpapi.New(httpapi.Options{
		Services: svc.Named(), Scope: svc.Scoped, Token: token, Hub: hub, Log: zerolog.Nop(),
		Routes: routes, Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxBodyBytes: maxBody, MaxUploadBytes: 1 << 20, AuthFailuresPerMinute: 1000,
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	e := &env{t: t, url: ts.URL, ws: ws, demo: files, dir: dir}

	// The document comes from the server, as a client gets it.
	resp := e.request("GET", "/api/openapi.json", nil, "")
	require.Equal(t, 200, resp.status)
	doc, err := libopenapi.NewDocument(resp.body)
	require.NoError(t, err)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)
	ok, verrs := v.ValidateDocument()
	require.True(t, ok, "the OpenAPI document is invalid: %v", verrs)
	e.val = v
	return e
}

// answer is a response, its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.body, v), "body: %s", a.body)
}

// apiError is the error shape, read strictly.
func (a answer) apiError(t *testing.T) httpapi.APIError {
	t.Helper()
	var b httpapi.ErrorBody
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&b), "error body: %s", a.body)
	require.NotEmpty(t, b.Error.Code)
	require.NotEmpty(t, b.Error.Message)
	require.Equal(t, httpapi.CodeOf(a.status), b.Error.Code)
	return b.Error
}

// request sends a request with the token (unless auth is "none") and
// checks the answer against the document.
func (e *env) request(method, path string, body []byte, contentType string, auth ...string) answer {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	require.NoError(e.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if len(auth) == 0 {
		req.Header.Set("Authorization", "Bearer "+token)
	} else if auth[0] != "none" {
		req.Header.Set("Authorization", "Bearer "+auth[0])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, body: data}
	e.check(req, resp, data)
	if resp.StatusCode < 300 && e.val != nil && !strings.HasPrefix(path, "/api/docs") {
		// A request the server took must be one the document allows, so
		// clients generated from it can send what the server accepts.
		sent, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
		require.NoError(e.t, err)
		sent.Header = req.Header.Clone()
		if ok, errs := e.val.ValidateHttpRequest(sent); !ok {
			var msgs []string
			for _, ve := range errs {
				msgs = append(msgs, ve.Message+": "+ve.Reason)
				for _, se := range ve.SchemaValidationErrors {
					msgs = append(msgs, "  "+se.Reason+" at "+se.FieldPath+" "+se.KeywordLocation)
				}
			}
			e.t.Errorf("%s %s was accepted but does not match the OpenAPI document:\n%s", method, path, strings.Join(msgs, "\n"))
		}
	}
	return a
}

// unlisted are paths the tests ask for that are no route, so the document
// cannot describe their answer (the tests check its shape).
var unlisted = map[string]bool{"/api/v1/nothing/here": true, "/api/v1/runs/some-run/pause": true}

// check validates one answer against the document (once it is loaded).
func (e *env) check(req *http.Request, resp *http.Response, body []byte) {
	e.t.Helper()
	// The docs page is a page, not part of the API the document describes.
	if e.val == nil || strings.HasPrefix(req.URL.Path, "/api/docs") || unlisted[req.URL.Path] {
		return
	}
	r2 := req.Clone(context.Background())
	r2.Body = http.NoBody
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ok, errs := e.val.ValidateHttpResponse(r2, resp)
	if !ok {
		var msgs []string
		for _, ve := range errs {
			msgs = append(msgs, ve.Message+": "+ve.Reason)
			for _, se := range ve.SchemaValidationErrors {
				msgs = append(msgs, "  "+se.Reason+" at "+se.FieldPath+" "+se.KeywordLocation)
			}
		}
		e.t.Errorf("%s %s -> %d does not match the OpenAPI document:\n%s\nbody: %.2000s", req.Method, req.URL.Path, resp.StatusCode, strings.Join(msgs, "\n"), body)
	}
	if ok {
		_, pattern := documented.Handler(req)
		coveredMu.Lock()
		covered[pattern] = true
		coveredMu.Unlock()
	}
}

// documented matches a request to the route that serves it, and covered
// holds the routes that answered the suite to the document's satisfaction.
var (
	documented = func() *http.ServeMux {
		mux := http.NewServeMux()
		for _, rt := range restapi.Describe() {
			mux.HandleFunc(rt.Method+" "+rt.Path, func(http.ResponseWriter, *http.Request) {})
		}
		return mux
	}()
	coveredMu sync.Mutex
	covered   = map[string]bool{}
)

// TestMain fails a full run of the suite unless every documented route
// gave at least one answer that the contract check passed.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		os.RemoveAll(shared.dir)
	}
	if f := flag.Lookup("test.run"); code == 0 && (f == nil || f.Value.String() == "") {
		for _, rt := range restapi.Describe() {
			if !covered[rt.Method+" "+rt.Path] {
				fmt.Fprintf(os.Stderr, "no test got a checked answer from %s %s\n", rt.Method, rt.Path)
				code = 1
			}
		}
	}
	os.Exit(code)
}

func (e *env) get(path string) answer { return e.request("GET", path, nil, "") }

func (e *env) post(path string, v any) answer {
	e.t.Helper()
	data, err := json.Marshal(v)
	require.NoError(e.t, err)
	return e.request("POST", path, data, "application/json")
}

// event is one Server-Sent Event.
type event struct {
	topic string
	data  json.RawMessage
}

// stream opens an event stream; events come on the channel until it ends.
// opened is closed once the server has subscribed (its first comment).
func (e *env) stream(ctx context.Context, path string) (status int, evs <-chan event, opened <-chan struct{}) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+path, nil)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	if resp.StatusCode != 200 {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e.check(req, resp, data)
		return resp.StatusCode, nil, nil
	}
	require.Equal(e.t, "text/event-stream", resp.Header.Get("Content-Type"))
	// The status and headers are checked now; the events' payloads are
	// JSON the tests decode into the documented types.
	e.check(req, &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Request: req}, []byte(": open\n\n"))
	c := make(chan event, 1024)
	o := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		defer close(c)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 8<<20)
		var cur event
		first := true
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ":"):
				if first {
					close(o)
					first = false
				}
			case strings.HasPrefix(line, "event: "):
				cur.topic = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				cur.data = json.RawMessage(strings.TrimPrefix(line, "data: "))
			case line == "" && cur.topic != "":
				c <- cur
				cur = event{}
			}
		}
	}()
	return 200, c, o
}

// runConfig is the demo's run, cut to a few steps.
func (e *env) runConfig() runconfig.Config {
	cfg := demo.RunConfig(e.demo)
	cfg.Name = "rest-demo"
	cfg.Training.MaxSteps, cfg.Training.BatchSize, cfg.Training.GradAccum = 3, 2, 1
	cfg.Training.MaxSeqLen, cfg.Training.WarmupSteps, cfg.Training.EvalEvery = 64, 1, 0
	cfg.Checkpoint.Every = 2
	return cfg
}

var (
	runOnce sync.Once
	runID   string
	runEvs  []event
)

// trainedRun starts the demo run once over the API and follows its event
// stream to the end.
func (e *env) trainedRun(t *testing.T) (string, []event) {
	runOnce.Do(func() {
		// The stream of one run starts with its current state, so opening
		// it after the start loses nothing.
		created := e.post("/api/v1/runs", e.runConfig())
		require.Equal(t, 201, created.status, "%s", created.body)
		var rec runs.Record
		created.json(t, &rec)
		require.Equal(t, "rest-demo", rec.Name)
		status, evs, _ := e.stream(context.Background(), "/api/v1/runs/"+rec.ID+"/events")
		require.Equal(t, 200, status)
		for ev := range evs {
			runEvs = append(runEvs, ev)
		}
		runID = rec.ID
	})
	if runID == "" {
		t.Fatal("the demo run did not start")
	}
	return runID, runEvs
}

// validateRaw checks a made-up answer against the document.
func validateRaw(e *env, method, path string, status int, body []byte) (bool, int) {
	req, err := http.NewRequest(method, e.url+path, nil)
	require.NoError(e.t, err)
	resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	ok, errs := e.val.ValidateHttpResponse(req, resp)
	return ok, len(errs)
}
