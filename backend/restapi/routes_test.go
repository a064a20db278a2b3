package restapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/restapi"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// The committed document is what the route table and the Go types give.
func TestDocumentIsUpToDate(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	doc, err := restapi.Document(root, restapi.Describe())
	require.NoError(t, err)
	committed, err := os.ReadFile(filepath.Join(filepath.Dir(file), "openapi.json"))
	require.NoError(t, err)
	require.Equal(t, string(doc)+"\n", string(committed), "openapi.json is out of date: run go generate ./backend/restapi")

	e := newEnv(t)
	served := e.get("/api/openapi.json")
	require.Equal(t, 200, served.status)
	require.Equal(t, "application/json", served.header.Get("Content-Type"))
	require.JSONEq(t, string(committed), string(served.body))
	var d struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(served.body, &d))
	require.Equal(t, "3.1.0", d.OpenAPI)
	require.Contains(t, d.Components.Schemas, "ErrorBody")
	require.Contains(t, d.Components.SecuritySchemes, "bearer")
	for _, rt := range restapi.Describe() {
		path := strings.ReplaceAll(rt.Path, "...}", "}")
		_, ok := d.Paths[path][strings.ToLower(rt.Method)]
		require.True(t, ok, "the document lacks %s %s", rt.Method, path)
	}
}

func TestSystem(t *testing.T) {
	e := newEnv(t)
	a := e.get("/api/v1/system")
	require.Equal(t, 200, a.status)
	var info service.SystemInfo
	a.json(t, &info)
	require.Equal(t, "test", info.Version)
	require.Equal(t, e.ws.Root, info.Workspace)
}

// Every refusal, by the guards or the handlers, has the one error shape.
func TestErrorShape(t *testing.T) {
	e := newEnv(t)
	// 401: no token, or a wrong one.
	a := e.request("GET", "/api/v1/runs", nil, "", "none")
	require.Equal(t, 401, a.status)
	a.apiError(t)
	a = e.request("GET", "/api/v1/system", nil, "", "wrong-token")
	require.Equal(t, 401, a.status)
	a.apiError(t)
	// 404: an unknown run.
	a = e.get("/api/v1/runs/no-such-run")
	require.Equal(t, 404, a.status)
	require.Contains(t, a.apiError(t).Message, "no-such-run")
	// 400: a body that is not JSON, a field that does not exist.
	a = e.request("POST", "/api/v1/datasets/inspect", []byte("{not json"), "application/json")
	require.Equal(t, 400, a.status)
	a.apiError(t)
	a = e.post("/api/v1/datasets/inspect", map[string]any{"path": e.demo.DataPath, "pagesize": 3})
	require.Equal(t, 400, a.status)
	require.Equal(t, "pagesize", a.apiError(t).Field)
	a = e.post("/api/v1/datasets/preview", map[string]any{"path": e.demo.DataPath, "page_size": 100000})
	require.Equal(t, 400, a.status)
	require.Equal(t, "page_size", a.apiError(t).Field)
	// 413: a body over the bound.
	a = e.request("POST", "/api/v1/exports", bytes.Repeat([]byte(" "), maxBody+1), "application/json")
	require.Equal(t, 413, a.status)
	a.apiError(t)
	// 415: a body that says it is not JSON.
	a = e.request("POST", "/api/v1/exports", []byte("{}"), "text/plain")
	require.Equal(t, 415, a.status)
	a.apiError(t)
	// 422: a run config with problems names the first field at fault, and
	// says every problem.
	cfg := e.runConfig()
	cfg.Training.LearningRate = -1
	cfg.LoRA.R = 0
	a = e.post("/api/v1/runs", cfg)
	require.Equal(t, 422, a.status)
	ae := a.apiError(t)
	require.NotEmpty(t, ae.Field)
	require.Contains(t, ae.Message, "training.learning_rate")
	require.Contains(t, ae.Message, "lora.r")
	// 400: a run config with an unknown field, named.
	a = e.request("POST", "/api/v1/runs", []byte(`{"training": {"learning_rte": 0.1}}`), "application/json")
	require.Equal(t, 400, a.status)
	require.Contains(t, a.apiError(t).Message, "learning_rte")
	// 403: a path outside the workspace.
	a = e.post("/api/v1/datasets/inspect", service.DatasetRequest{Path: "/etc/passwd"})
	require.Equal(t, 403, a.status)
	a.apiError(t)
}

func TestModels(t *testing.T) {
	e := newEnv(t)
	a := e.get("/api/v1/models/inspect?ref=" + url.QueryEscape(e.demo.ModelDir))
	require.Equal(t, 200, a.status, "%s", a.body)
	var info service.ModelInfo
	a.json(t, &info)
	require.Equal(t, "gemma3", info.Family)
	require.True(t, info.HasWeights)

	a = e.get("/api/v1/models/inspect")
	require.Equal(t, 400, a.status)
	require.Equal(t, "ref", a.apiError(t).Field)
	a = e.get("/api/v1/models/inspect?ref=" + url.QueryEscape(filepath.Join(e.ws.Root, "no-model")))
	require.Equal(t, 404, a.status, "%s", a.body)
	a.apiError(t)

	a = e.get("/api/v1/models/cache")
	require.Equal(t, 200, a.status)
	var cache service.HubCache
	a.json(t, &cache)
	require.Empty(t, cache.Repos)

	// A download starts at once and ends on the download stream.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	status, evs, opened := e.stream(ctx, "/api/v1/models/download/events")
	require.Equal(t, 200, status)
	<-opened
	a = e.post("/api/v1/models/download", restapi.DownloadRequest{Ref: e.demo.ModelDir})
	require.Equal(t, 202, a.status, "%s", a.body)
	var started restapi.DownloadStarted
	a.json(t, &started)
	require.Equal(t, "/api/v1/models/download/events", started.Events)
	var done restapi.DownloadDone
	for ev := range evs {
		if ev.topic == restapi.TopicDownloadDone {
			require.NoError(t, json.Unmarshal(ev.data, &done))
			break
		}
	}
	require.Equal(t, e.demo.ModelDir, done.Ref)
	require.Empty(t, done.Error)
	require.Equal(t, e.demo.ModelDir, done.Dir)

	a = e.post("/api/v1/models/download", restapi.DownloadRequest{})
	require.Equal(t, 400, a.status)
	require.Equal(t, "ref", a.apiError(t).Field)
}

func TestDatasets(t *testing.T) {
	e := newEnv(t)
	data, err := os.ReadFile(e.demo.DataPath)
	require.NoError(t, err)
	put := func(name string, body []byte) answer {
		return e.request("PUT", "/api/v1/datasets/files/"+name, body, "application/octet-stream")
	}
	a := put("chats.jsonl?overwrite=true", data)
	require.Equal(t, 201, a.status, "%s", a.body)
	var up service.UploadedFile
	a.json(t, &up)
	require.Equal(t, filepath.Join(service.DatasetsDir(e.ws), "chats.jsonl"), up.Path)
	require.Equal(t, int64(len(data)), up.Bytes)
	written, err := os.ReadFile(up.Path)
	require.NoError(t, err)
	require.Equal(t, data, written)

	// An existing file is replaced only when asked.
	a = put("chats.jsonl", []byte("{}\n"))
	require.Equal(t, 409, a.status)
	a.apiError(t)
	a = put("chats.jsonl?overwrite=true", data)
	require.Equal(t, 201, a.status)
	// Names that are not plain data file names are refused.
	for _, name := range []string{"notes.exe", "..%2Fescape.jsonl", ".hidden.jsonl", "a%5Cb.csv"} {
		a = put(name, data)
		require.Equal(t, 400, a.status, name)
		require.Equal(t, "name", a.apiError(t).Field, name)
	}
	entries, err := os.ReadDir(service.DatasetsDir(e.ws))
	require.NoError(t, err)
	require.Len(t, entries, 1, "only chats.jsonl, and no temporary file")
	// A file over the bound is refused and leaves nothing.
	a = put("big.jsonl", bytes.Repeat([]byte("x"), 1<<20+1))
	require.Equal(t, 413, a.status)
	a.apiError(t)
	_, err = os.Stat(filepath.Join(service.DatasetsDir(e.ws), "big.jsonl"))
	require.True(t, os.IsNotExist(err))

	req := service.DatasetRequest{Path: up.Path, PageSize: 3}
	a = e.post("/api/v1/datasets/inspect", req)
	require.Equal(t, 200, a.status, "%s", a.body)
	var info service.DatasetInfo
	a.json(t, &info)
	require.Equal(t, up.Path, info.Path)

	req.Model = e.demo.ModelDir
	a = e.post("/api/v1/datasets/preview", req)
	require.Equal(t, 200, a.status, "%s", a.body)
	var page dataset.PreviewPage
	a.json(t, &page)
	require.NotEmpty(t, page.Rows)

	a = e.post("/api/v1/datasets/stats", req)
	require.Equal(t, 200, a.status, "%s", a.body)

	a = e.post("/api/v1/datasets/inspect", service.DatasetRequest{Path: filepath.Join(service.DatasetsDir(e.ws), "none.jsonl")})
	require.Equal(t, 404, a.status, "%s", a.body)
	a.apiError(t)
}

// A run from start to end, over the API only.
func TestRunLifecycle(t *testing.T) {
	e := newEnv(t)
	id, evs := e.trainedRun(t)

	// The stream told the run's whole life: its states, each step, the
	// log, and an end with the final state.
	topics := map[string]int{}
	for _, ev := range evs {
		topics[ev.topic]++
		var p struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(ev.data, &p))
		require.Equal(t, id, p.ID, "only this run's events: %s", ev.data)
	}
	require.Positive(t, topics[runs.TopicState])
	require.Equal(t, 3, topics[runs.TopicMetrics])
	require.Positive(t, topics[runs.TopicLog])
	last := evs[len(evs)-1]
	require.Equal(t, restapi.TopicEnd, last.topic)
	var end runs.StateEvent
	require.NoError(t, json.Unmarshal(last.data, &end))
	require.Equal(t, runs.Completed, end.State, end.Error)

	// A finished run's stream says its state and ends at once.
	status, again, _ := e.stream(context.Background(), "/api/v1/runs/"+id+"/events")
	require.Equal(t, 200, status)
	var got []string
	for ev := range again {
		got = append(got, ev.topic)
	}
	require.Equal(t, []string{runs.TopicState, restapi.TopicEnd}, got)
	status, _, _ = e.stream(context.Background(), "/api/v1/runs/nope/events")
	require.Equal(t, 404, status)

	a := e.get("/api/v1/runs")
	require.Equal(t, 200, a.status)
	var list []runs.Record
	a.json(t, &list)
	require.NotEmpty(t, list)

	// By id, by the start of the id, by name.
	for _, ref := range []string{id, id[:len(id)-2], "rest-demo"} {
		a = e.get("/api/v1/runs/" + url.PathEscape(ref))
		require.Equal(t, 200, a.status, ref)
		var d service.RunDetail
		a.json(t, &d)
		require.Equal(t, id, d.Record.ID)
		require.True(t, d.HasAdapter)
	}

	a = e.get("/api/v1/runs/" + id + "/metrics")
	require.Equal(t, 200, a.status)
	var metrics []runs.Metrics
	a.json(t, &metrics)
	require.Len(t, metrics, 3)

	a = e.get("/api/v1/runs/" + id + "/log?n=2")
	require.Equal(t, 200, a.status)
	var log restapi.LogLines
	a.json(t, &log)
	require.Len(t, log.Lines, 2)
	a = e.get("/api/v1/runs/" + id + "/log?n=-1")
	require.Equal(t, 400, a.status)
	require.Equal(t, "n", a.apiError(t).Field)

	// A completed run cannot be paused, resumed or cancelled.
	for _, act := range []string{"pause", "resume", "cancel"} {
		a = e.request("POST", "/api/v1/runs/"+id+"/"+act, nil, "")
		require.Equal(t, 422, a.status, act)
		a.apiError(t)
	}

	// A long run holds the queue, so what follows waits on states, not
	// on timing: the duplicate stays queued behind it.
	long := e.runConfig()
	long.Name = "rest-long"
	long.Training.MaxSteps = 1_000_000
	a = e.post("/api/v1/runs", long)
	require.Equal(t, 201, a.status, "%s", a.body)
	var blocker runs.Record
	a.json(t, &blocker)
	e.untilMetrics(t, blocker.ID)

	a = e.request("POST", "/api/v1/runs/"+id+"/duplicate", nil, "")
	require.Equal(t, 201, a.status, "%s", a.body)
	var dup runs.Record
	a.json(t, &dup)
	require.NotEqual(t, id, dup.ID)
	require.Equal(t, runs.Queued, dup.State)
	a = e.request("POST", "/api/v1/runs/"+dup.ID+"/cancel", nil, "")
	require.Equal(t, 200, a.status, "%s", a.body)
	var cancelled runs.Record
	a.json(t, &cancelled)
	require.Equal(t, runs.Cancelled, cancelled.State, "a queued run is cancelled at once")
	require.Equal(t, runs.Cancelled, e.follow(t, dup.ID).State)

	// The running one pauses with a checkpoint, resumes, and cancels.
	a = e.request("POST", "/api/v1/runs/"+blocker.ID+"/pause", nil, "")
	require.Equal(t, 200, a.status, "%s", a.body)
	require.Equal(t, runs.Paused, e.follow(t, blocker.ID).State)
	a = e.request("POST", "/api/v1/runs/"+blocker.ID+"/resume", nil, "")
	require.Equal(t, 200, a.status, "%s", a.body)
	e.untilMetrics(t, blocker.ID)
	a = e.request("DELETE", "/api/v1/runs/"+blocker.ID, nil, "")
	require.Equal(t, 422, a.status, "a running run is not deleted")
	a.apiError(t)
	a = e.request("POST", "/api/v1/runs/"+blocker.ID+"/cancel", nil, "")
	require.Equal(t, 200, a.status, "%s", a.body)
	require.Equal(t, runs.Cancelled, e.follow(t, blocker.ID).State)

	for _, ref := range []string{dup.ID, blocker.ID} {
		a = e.request("DELETE", "/api/v1/runs/"+ref, nil, "")
		require.Equal(t, 204, a.status, "%s", a.body)
		require.Empty(t, a.body)
		a = e.get("/api/v1/runs/" + ref)
		require.Equal(t, 404, a.status)
		a = e.request("DELETE", "/api/v1/runs/"+ref, nil, "")
		require.Equal(t, 404, a.status)
		a.apiError(t)
	}
}

// follow reads a run's event stream to its end and returns the end.
func (e *env) follow(t *testing.T, id string) runs.StateEvent {
	t.Helper()
	status, evs, _ := e.stream(context.Background(), "/api/v1/runs/"+id+"/events")
	require.Equal(t, 200, status)
	var end runs.StateEvent
	n := 0
	for ev := range evs {
		if ev.topic == restapi.TopicEnd {
			require.NoError(t, json.Unmarshal(ev.data, &end))
			n++
		}
	}
	require.Equal(t, 1, n, "one end event")
	return end
}

// untilMetrics waits for a run to report a training step.
func (e *env) untilMetrics(t *testing.T, id string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	status, evs, _ := e.stream(ctx, "/api/v1/runs/"+id+"/events")
	require.Equal(t, 200, status)
	for ev := range evs {
		switch ev.topic {
		case runs.TopicMetrics:
			return
		case restapi.TopicEnd:
			t.Fatalf("run %s ended before a step: %s", id, ev.data)
		}
	}
	t.Fatalf("the stream of run %s ended without an end event", id)
}

func TestExports(t *testing.T) {
	e := newEnv(t)
	id, _ := e.trainedRun(t)

	a := e.post("/api/v1/exports", service.ExportRequest{RunID: id, Format: "peft", Overwrite: true})
	require.Equal(t, 201, a.status, "%s", a.body)
	var res service.ExportResult
	a.json(t, &res)
	require.NotEmpty(t, res.Files)
	// Again without overwrite: the folder is there.
	a = e.post("/api/v1/exports", service.ExportRequest{RunID: id, Format: "peft"})
	require.Equal(t, 409, a.status, "%s", a.body)
	a.apiError(t)
	a = e.post("/api/v1/exports", service.ExportRequest{RunID: id, Format: "tarball"})
	require.Equal(t, 400, a.status)
	require.Equal(t, "format", a.apiError(t).Field)
	a = e.post("/api/v1/exports", service.ExportRequest{RunID: id, Format: "peft", Out: "/tmp/elsewhere"})
	require.Equal(t, 403, a.status)
	a.apiError(t)

	// A folder that Whetstone did not write is not an export.
	require.NoError(t, os.MkdirAll(filepath.Join(e.ws.ExportsDir(), "foreign"), 0o755))
	a = e.get("/api/v1/exports")
	require.Equal(t, 200, a.status)
	var list []service.ExportFolder
	a.json(t, &list)
	require.Len(t, list, 1)
	exp := list[0]
	require.Equal(t, filepath.Base(res.OutDir), exp.ID)
	a = e.get("/api/v1/exports/foreign")
	require.Equal(t, 404, a.status)
	a.apiError(t)
	a = e.get("/api/v1/exports/" + exp.ID)
	require.Equal(t, 200, a.status)

	// The folder as a zip.
	a = e.get("/api/v1/exports/" + exp.ID + "/download")
	require.Equal(t, 200, a.status)
	require.Equal(t, "application/zip", a.header.Get("Content-Type"))
	require.Contains(t, a.header.Get("Content-Disposition"), "attachment")
	require.Contains(t, a.header.Get("Content-Disposition"), exp.ID+".zip")
	zr, err := zip.NewReader(bytes.NewReader(a.body), int64(len(a.body)))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	for _, f := range exp.Files {
		require.Contains(t, names, exp.ID+"/"+f.Path)
	}
	require.Len(t, names, len(exp.Files), "the marker stays out")

	// One file as is.
	want, err := os.ReadFile(filepath.Join(exp.Path, "adapter_config.json"))
	require.NoError(t, err)
	a = e.get("/api/v1/exports/" + exp.ID + "/download?file=adapter_config.json")
	require.Equal(t, 200, a.status)
	require.Equal(t, want, a.body)
	require.Contains(t, a.header.Get("Content-Disposition"), "adapter_config.json")

	// Nothing outside the folder, by name or by link.
	require.NoError(t, os.Symlink(filepath.Join(e.ws.Root, "settings.json"), filepath.Join(exp.Path, "link.json")))
	defer os.Remove(filepath.Join(exp.Path, "link.json"))
	for _, f := range []string{"../../settings.json", "/etc/passwd", "link.json", ".whetstone-output", "missing.bin"} {
		a = e.get("/api/v1/exports/" + exp.ID + "/download?file=" + url.QueryEscape(f))
		require.Contains(t, []int{400, 404}, a.status, f)
		a.apiError(t)
	}
	for _, bad := range []string{"%2E%2E", "foreign", "nope"} {
		a = e.get("/api/v1/exports/" + bad + "/download")
		require.Equal(t, 404, a.status, bad)
		a.apiError(t)
	}
}

func TestDocsPage(t *testing.T) {
	e := newEnv(t)
	a := e.get("/api/docs/")
	require.Equal(t, 200, a.status)
	require.Contains(t, string(a.body), `<script src="init.js">`)
	require.NotContains(t, string(a.body), "<script>", "no inline script: the CSP refuses it")
	a = e.get("/api/docs/init.js")
	require.Equal(t, 200, a.status)
	require.Contains(t, string(a.body), "../openapi.json")
	a = e.get("/api/docs/swagger-ui-bundle.js%2F..%2F..%2Fopenapi.json")
	require.Equal(t, 404, a.status)
}

// A path under /api/v1/ that is no route has the error shape too.
func TestUnknownRoute(t *testing.T) {
	e := newEnv(t)
	a := e.request("GET", "/api/v1/nothing/here", nil, "")
	require.Equal(t, 404, a.status)
	a.apiError(t)
	a = e.request("GET", "/api/v1/runs/some-run/pause", nil, "")
	require.Equal(t, 405, a.status)
	require.Equal(t, "POST", a.header.Get("Allow"))
	a.apiError(t)
}

// The suite validated answers against the document (a guard against a
// validator that silently checks nothing).
func TestValidatorChecks(t *testing.T) {
	e := newEnv(t)
	bad := e.get("/api/v1/system")
	bad.body = []byte(`{"version": 3}`)
	ok, _ := validateRaw(e, "GET", "/api/v1/system", 200, bad.body)
	require.False(t, ok, "a wrong body must fail validation")
	ok, _ = validateRaw(e, "GET", "/api/v1/system", 200, e.get("/api/v1/system").body)
	require.True(t, ok)
}

// The OpenAI-compatible endpoint answers as the document says (its
// behaviour is backend/openaiapi's tests').
func TestOpenAIRoutesMatchTheDocument(t *testing.T) {
	e := newEnv(t)
	id := e.firstModelID(t)
	a := e.get("/v1/models/" + id)
	require.Equal(t, 200, a.status, "%s", a.body)
	a = e.get("/v1/models/no-such-model")
	require.Equal(t, 404, a.status)
	a.apiError(t)
	a = e.post("/v1/chat/completions", map[string]any{
		"model": id, "messages": []map[string]string{{"role": "user", "content": "hi"}}, "max_tokens": 2, "temperature": 0,
	})
	require.Equal(t, 200, a.status, "%s", a.body)
	a = e.post("/v1/chat/completions", map[string]any{"model": id, "messages": []map[string]string{}})
	require.Equal(t, 400, a.status, "%s", a.body)
	a.apiError(t)
}

// The document's own refusal has the shape the document describes.
func TestDocumentNeedsTheToken(t *testing.T) {
	e := newEnv(t)
	a := e.request("GET", "/api/openapi.json", nil, "", "none")
	require.Equal(t, 401, a.status)
	a.apiError(t)
}

// firstModelID is the id of the first model /v1/models lists.
func (e *env) firstModelID(t *testing.T) string {
	t.Helper()
	a := e.get("/v1/models")
	require.Equal(t, 200, a.status, "%s", a.body)
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	a.json(t, &list)
	require.NotEmpty(t, list.Data)
	return list.Data[0].ID
}
