package restapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// Route is one operation of the API: how it is served and how the OpenAPI
// document describes it. Packages that serve routes of their own (the
// OpenAI-compatible endpoint) pass descriptions as Deps.Extra, without a
// Handler.
type Route struct {
	Method string // GET, POST, PUT, DELETE
	// Path is a ServeMux path; its {wildcards} are path parameters.
	Path    string
	Kind    httpapi.RouteKind
	MaxBody int64 // an UploadRoute's bound
	Tag     string
	Summary string
	// Description is the longer text (Markdown).
	Description string
	Query       []Param
	// Body is a value of the JSON request body's Go type; nil for none.
	Body any
	// BodyType is the content type of a body that is not JSON (an upload).
	BodyType string
	// Status is the status of success.
	Status int
	// Result is a value of the JSON response's Go type; nil for none.
	Result any
	// ResultType is the content type of a response that is not JSON.
	ResultType string
	// Events are a stream's topics and a value of each payload's type.
	Events map[string]any
	// Errors are the failure statuses the route answers, besides those
	// every route may (401, 403, 429, 503).
	Errors  []int
	Handler http.Handler
}

// Param is a query parameter.
type Param struct {
	Name        string
	Description string
	// Example is a value of the parameter's Go type (string, int, bool).
	Example  any
	Required bool
}

// LogLines is the end of a run's log.
type LogLines struct {
	Lines []string `json:"lines"`
}

// DownloadRequest names a model to download into the Hugging Face cache.
type DownloadRequest struct {
	// Ref is a hub id, org/name[@revision].
	Ref string `json:"ref"`
}

// DownloadStarted says a download runs; its progress and its end arrive on
// GET /api/v1/models/download/events.
type DownloadStarted struct {
	Ref    string `json:"ref"`
	Events string `json:"events"`
}

// DownloadDone ends a download: Dir is the model's folder, or Error says
// why it failed.
type DownloadDone struct {
	Ref   string `json:"ref"`
	Dir   string `json:"dir,omitempty"`
	Error string `json:"error,omitempty"`
}

// Topics of the streams besides the services' own.
const (
	// TopicEnd is a run stream's last event: the run left the queue
	// (completed, failed, cancelled, paused, interrupted).
	TopicEnd = "end"
	// TopicDownloadDone ends one model download.
	TopicDownloadDone = "download.done"
)

// maxLogLines bounds GET .../log?n=.
const maxLogLines = 100_000

// table is the REST API: the one list the server mounts and the OpenAPI
// document describes.
func (a *api) table() []Route {
	ref := []int{http.StatusNotFound}
	return []Route{
		{Method: "GET", Path: "/api/openapi.json", Tag: "system", Summary: "This document",
			Status: 200, ResultType: "application/json",
			Handler: serveDocument(document)},
		{Method: "GET", Path: "/api/v1/system", Tag: "system", Summary: "Version, platform, workspace and compute backend",
			Status: 200, Result: service.SystemInfo{},
			Handler: a.call(200, func(s scope, r *http.Request) (any, error) { return s.System.Info() })},

		{Method: "GET", Path: "/api/v1/models/inspect", Tag: "models", Summary: "Describe a model (architecture, size, context length)",
			Description: "Downloads only the model's small files (config, tokenizer) when it is a hub id not yet in the cache.",
			Query:       []Param{{Name: "ref", Description: "a hub id (org/name[@revision]) or a model folder on the server", Example: "", Required: true}},
			Status:      200, Result: service.ModelInfo{}, Errors: []int{400, 404, 422},
			Handler: a.call(200, func(s scope, r *http.Request) (any, error) {
				ref := r.URL.Query().Get("ref")
				if ref == "" {
					return nil, bad("ref", "ref: give a hub id (org/name) or a model folder")
				}
				return s.Models.Inspect(ref)
			})},
		{Method: "POST", Path: "/api/v1/models/download", Tag: "models", Summary: "Start downloading a model into the Hugging Face cache",
			Description: "Answers at once; progress (`hub.progress`) and the end (`download.done`) arrive on GET /api/v1/models/download/events.",
			Body:        DownloadRequest{}, Status: 202, Result: DownloadStarted{}, Errors: []int{400, 409},
			Handler: a.call(202, a.startDownload)},
		{Method: "GET", Path: "/api/v1/models/download/events", Kind: httpapi.StreamRoute, Tag: "models", Summary: "Follow model downloads (Server-Sent Events)",
			Status: 200, ResultType: "text/event-stream",
			Events:  map[string]any{hub.ProgressTopic: hub.Progress{}, TopicDownloadDone: DownloadDone{}},
			Handler: http.HandlerFunc(a.downloadEvents)},
		{Method: "GET", Path: "/api/v1/models/cache", Tag: "models", Summary: "List the models and datasets in the Hugging Face cache",
			Status: 200, Result: service.HubCache{},
			Handler: a.call(200, func(s scope, r *http.Request) (any, error) { return s.Models.Cache() })},

		{Method: "POST", Path: "/api/v1/datasets/inspect", Tag: "datasets", Summary: "Detect a dataset's format and columns",
			Body: service.DatasetRequest{}, Status: 200, Result: service.DatasetInfo{}, Errors: []int{400, 404, 422},
			Handler: a.dataset(func(s scope, req service.DatasetRequest) (any, error) { return s.Datasets.Inspect(req) })},
		{Method: "POST", Path: "/api/v1/datasets/preview", Tag: "datasets", Summary: "One page of a dataset's conversations, as the model will see them",
			Body: service.DatasetRequest{}, Status: 200, Result: dataset.PreviewPage{}, Errors: []int{400, 404, 422},
			Handler: a.dataset(func(s scope, req service.DatasetRequest) (any, error) { return s.Datasets.Preview(req) })},
		{Method: "POST", Path: "/api/v1/datasets/stats", Tag: "datasets", Summary: "Statistics of a dataset (rows, token lengths, problems)",
			Body: service.DatasetRequest{}, Status: 200, Result: dataset.Stats{}, Errors: []int{400, 404, 422},
			Handler: a.dataset(func(s scope, req service.DatasetRequest) (any, error) { return s.Datasets.Stats(req) })},
		{Method: "PUT", Path: "/api/v1/datasets/files/{name}", Kind: httpapi.UploadRoute, Tag: "datasets",
			Summary:     "Upload a dataset file into the workspace's datasets folder",
			Description: "The body is the file as is. The name must end in " + strings.Join(service.UploadExtensions, ", ") + "; an existing file is replaced only with overwrite=true. The answer's path is what a run config's dataset.path takes.",
			Query:       []Param{{Name: "overwrite", Description: "replace a file of that name", Example: false}},
			BodyType:    "application/octet-stream", Status: 201, Result: service.UploadedFile{}, Errors: []int{400, 409, 413},
			Handler: http.HandlerFunc(a.upload)},

		{Method: "POST", Path: "/api/v1/runs", Tag: "runs", Summary: "Start a run from a run config",
			Description: "The body is a run config as JSON (the fields of a `whetstone train --config` file); fields left out take their defaults. A config with problems is refused with 422, the first field at fault in error.field, every problem in the message.",
			Body:        runconfig.Config{}, Status: 201, Result: runs.Record{}, Errors: []int{400, 404, 422},
			Handler: a.call(201, a.startRun)},
		{Method: "GET", Path: "/api/v1/runs", Tag: "runs", Summary: "List the runs, newest first",
			Status: 200, Result: []runs.Record{},
			Handler: a.call(200, func(s scope, r *http.Request) (any, error) { return s.Runs.List() })},
		{Method: "GET", Path: "/api/v1/runs/{ref}", Tag: "runs", Summary: "One run with its config",
			Description: "{ref} is a run's id, the start of its id, or its name (when one run has it).",
			Status:      200, Result: service.RunDetail{}, Errors: ref,
			Handler: a.call(200, func(s scope, r *http.Request) (any, error) { return s.Runs.Get(r.PathValue("ref")) })},
		{Method: "GET", Path: "/api/v1/runs/{ref}/metrics", Tag: "runs", Summary: "Every recorded step of a run",
			Status: 200, Result: []runs.Metrics{}, Errors: ref,
			Handler: a.call(200, func(s scope, r *http.Request) (any, error) { return s.Runs.Metrics(r.PathValue("ref")) })},
		{Method: "GET", Path: "/api/v1/runs/{ref}/log", Tag: "runs", Summary: "The last lines of a run's log",
			Query:  []Param{{Name: "n", Description: "how many lines (default 200, 0 for all, at most " + strconv.Itoa(maxLogLines) + ")", Example: 0}},
			Status: 200, Result: LogLines{}, Errors: []int{400, 404},
			Handler: a.call(200, a.runLog)},
		{Method: "POST", Path: "/api/v1/runs/{ref}/pause", Tag: "runs", Summary: "Pause a running run at its next step, with a checkpoint",
			Status: 200, Result: runs.Record{}, Errors: []int{404, 422},
			Handler: a.call(200, a.runAction(func(s scope, ref string) error { return s.Runs.Pause(ref) }))},
		{Method: "POST", Path: "/api/v1/runs/{ref}/resume", Tag: "runs", Summary: "Queue a paused, interrupted, failed or cancelled run to continue from its latest checkpoint",
			Status: 200, Result: runs.Record{}, Errors: []int{404, 422},
			Handler: a.call(200, a.runAction(func(s scope, ref string) error { return s.Runs.Resume(ref) }))},
		{Method: "POST", Path: "/api/v1/runs/{ref}/cancel", Tag: "runs", Summary: "Cancel a queued or running run",
			Status: 200, Result: runs.Record{}, Errors: []int{404, 422},
			Handler: a.call(200, a.runAction(func(s scope, ref string) error { return s.Runs.Cancel(ref) }))},
		{Method: "POST", Path: "/api/v1/runs/{ref}/duplicate", Tag: "runs", Summary: "Queue a new run with the same config",
			Status: 201, Result: runs.Record{}, Errors: ref,
			Handler: a.call(201, func(s scope, r *http.Request) (any, error) { return s.Runs.Duplicate(r.PathValue("ref")) })},
		{Method: "DELETE", Path: "/api/v1/runs/{ref}", Tag: "runs", Summary: "Delete a run that is not running, with everything it made",
			Status: 204, Errors: []int{404, 422},
			Handler: a.call(204, func(s scope, r *http.Request) (any, error) { return nil, s.Runs.Delete(r.PathValue("ref")) })},
		{Method: "GET", Path: "/api/v1/runs/{ref}/events", Kind: httpapi.StreamRoute, Tag: "runs", Summary: "Follow a run (Server-Sent Events)",
			Description: "First the run's current `run.state`, then its `run.state`, `run.metrics` and `run.log` events as they happen; the stream ends with an `end` event (the last state) once the run is no longer queued or running.",
			Status:      200, ResultType: "text/event-stream", Errors: ref,
			Events:  map[string]any{runs.TopicState: runs.StateEvent{}, runs.TopicMetrics: runs.MetricsEvent{}, runs.TopicLog: runs.LogEvent{}, TopicEnd: runs.StateEvent{}},
			Handler: http.HandlerFunc(a.runEvents)},

		{Method: "POST", Path: "/api/v1/exports", Tag: "exports", Summary: "Export a run or a model (PEFT adapter, merged model, GGUF)",
			Description: "Formats: " + strings.Join(exportFormats(), ", ") + ". Without out, the export goes to the workspace's exports folder, where GET /api/v1/exports lists it.",
			Body:        service.ExportRequest{}, Status: 201, Result: service.ExportResult{}, Errors: []int{400, 403, 404, 409, 422},
			Handler: a.call(201, a.startExport)},
		{Method: "GET", Path: "/api/v1/exports", Tag: "exports", Summary: "List the exports in the workspace's exports folder, newest first",
			Status: 200, Result: []service.ExportFolder{},
			Handler: a.call(200, func(s scope, r *http.Request) (any, error) { return service.ListExports(a.Workspace) })},
		{Method: "GET", Path: "/api/v1/exports/{id}", Tag: "exports", Summary: "One export folder and its files",
			Status: 200, Result: service.ExportFolder{}, Errors: ref,
			Handler: a.call(200, a.getExport)},
		{Method: "GET", Path: "/api/v1/exports/{id}/download", Tag: "exports", Summary: "Download an export: the folder as a zip, or one of its files as is",
			Query:  []Param{{Name: "file", Description: "a file of the export (a path from its files list) to download alone", Example: ""}},
			Status: 200, ResultType: "application/zip", Errors: []int{400, 404},
			Handler: http.HandlerFunc(a.downloadExport)},
	}
}

func exportFormats() []string {
	var out []string
	for _, f := range export.Formats {
		out = append(out, string(f))
	}
	return out
}

// call serves fn's result as JSON with status (no body for 204).
func (a *api) call(status int, fn func(s scope, r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := fn(a.scope(r), r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, out)
	})
}

// dataset serves a method that takes a DatasetRequest body.
func (a *api) dataset(fn func(s scope, req service.DatasetRequest) (any, error)) http.Handler {
	return a.call(200, func(s scope, r *http.Request) (any, error) {
		var req service.DatasetRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return fn(s, req)
	})
}

func (a *api) startRun(s scope, r *http.Request) (any, error) {
	if r.ContentLength == 0 {
		return nil, bad("", "a run config is required as the JSON body")
	}
	body, err := readAll(r)
	if err != nil {
		return nil, err
	}
	// Parse is how a config file is read: defaults for what is left out,
	// unknown fields refused.
	cfg, err := runconfig.Parse(body)
	if err != nil {
		return nil, parseError(err)
	}
	return s.Runs.Start(cfg)
}

func (a *api) runLog(s scope, r *http.Request) (any, error) {
	n := 200
	if v := r.URL.Query().Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > maxLogLines {
			return nil, bad("n", "n: want a number of lines between 0 (all) and %d, got %q", maxLogLines, v)
		}
	}
	lines, err := s.Runs.Log(r.PathValue("ref"), n)
	if err != nil {
		return nil, err
	}
	return LogLines{Lines: lines}, nil
}

// runAction does act, then answers the run's record as it now is.
func (a *api) runAction(act func(s scope, ref string) error) func(s scope, r *http.Request) (any, error) {
	return func(s scope, r *http.Request) (any, error) {
		ref := r.PathValue("ref")
		if err := act(s, ref); err != nil {
			return nil, err
		}
		d, err := s.Runs.Get(ref)
		if err != nil {
			return nil, err
		}
		return d.Record, nil
	}
}

func (a *api) startExport(s scope, r *http.Request) (any, error) {
	var req service.ExportRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.Export.Start(req)
}

func (a *api) getExport(s scope, r *http.Request) (any, error) {
	root, f, err := service.OpenExport(a.Workspace, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	root.Close()
	return f, nil
}
