// Package restapi is Whetstone's documented REST API (/api/v1/...): the
// services as resources with named JSON fields, status codes and one error
// shape, for programs rather than the UI (which keeps its RPC,
// /api/call/<Service>/<Method>). The route table in routes.go is the one
// source of the handlers and of the OpenAPI document served at
// /api/openapi.json: each route declares its Go request and response types,
// which backend/contract turns into JSON Schema.
//
// The package knows the domain but not the server: httpapi mounts the
// routes behind its host, origin and token guards and bounds them by kind.
package restapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// Deps is what the REST API serves.
type Deps struct {
	// Services are the app's services; each request calls the copies
	// Services.Scoped gives for its context, so abandoned requests stop.
	Services *service.Services
	// Workspace holds the uploaded datasets and the exports.
	Workspace *workspace.Workspace
	// Events must receive every event the services publish (serve tees
	// the services' emitter into it): run and download streams read it.
	Events *Broadcaster
	// DocsAssets holds Swagger UI's files (swagger-ui-bundle.js,
	// swagger-ui.css) for /api/docs; nil serves the page without them.
	DocsAssets fs.FS
	Log        zerolog.Logger
}

// api serves the routes over Deps.
type api struct {
	Deps

	// downloads are the model downloads in progress, by reference.
	downloadsMu sync.Mutex
	downloads   map[string]bool
}

// Routes returns every route of the REST API, its OpenAPI document and its
// docs page, ready for httpapi.Options.Routes.
func Routes(d Deps) ([]httpapi.Route, error) {
	if d.Services == nil || d.Workspace == nil || d.Events == nil {
		return nil, errors.New("restapi: Services, Workspace and Events are required")
	}
	a := &api{Deps: d, downloads: map[string]bool{}}
	var out []httpapi.Route
	for _, rt := range a.table() {
		out = append(out, httpapi.Route{Pattern: rt.Method + " " + rt.Path, Kind: rt.Kind, Handler: rt.Handler, MaxBody: rt.MaxBody})
	}
	// Anything else under /api/v1/ gets the API's error shape, not the
	// server's plain-text 404: 405 with Allow for a route's path with
	// another method, else 404. One pattern per method: a method-less one
	// would clash with the UI's "GET /".
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		out = append(out, httpapi.Route{Pattern: m + " /api/v1/", Kind: httpapi.CallRoute, Handler: a.noRoute()})
	}
	out = append(out, a.docsRoutes()...)
	return out, nil
}

// scope is one request's services, bound to its context.
type scope struct {
	System   *service.System
	Models   *service.Models
	Datasets *service.Datasets
	Runs     *service.Runs
	Export   *service.Export
}

func (a *api) scope(r *http.Request) scope {
	m := a.Services.Scoped(r.Context())
	return scope{
		System:   m["System"].(*service.System),
		Models:   m["Models"].(*service.Models),
		Datasets: m["Datasets"].(*service.Datasets),
		Runs:     m["Runs"].(*service.Runs),
		Export:   m["Export"].(*service.Export),
	}
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body into v, refusing unknown fields (a typo is
// reported, not ignored) and trailing data.
func decode(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return &requestError{status: http.StatusBadRequest, msg: "a JSON body is required"}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &requestError{status: http.StatusBadRequest, msg: "the body holds more than one JSON value"}
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the field at fault.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		return &requestError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf("%s: want a JSON %s, got %s", fieldOrBody(field), te.Type.Kind(), te.Value)}
	case errors.As(err, &se):
		return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf("the body is not valid JSON (at byte %d): %v", se.Offset, err)}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &requestError{status: http.StatusBadRequest, field: name, msg: fmt.Sprintf("%s: unknown field", name)}
	}
	return &requestError{status: http.StatusBadRequest, msg: "read the JSON body: " + strings.TrimPrefix(msg, "json: ")}
}

func fieldOrBody(f string) string {
	if f == "" {
		return "body"
	}
	return f
}

// requestError is a refusal of the request itself, before any service ran.
type requestError struct {
	status int
	field  string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// bad is a 400 about field.
func bad(field, format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

// fail answers err in the API's error shape with its status.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, e := classify(err)
	ev := a.Log.Debug()
	if status >= 500 {
		ev = a.Log.Error()
	}
	ev.Str("route", r.Method+" "+r.URL.Path).Int("status", status).Err(err).Msg("api request failed")
	httpapi.WriteAPIError(w, status, e)
}

// noRoute answers a request no route of the table serves.
func (a *api) noRoute() http.HandlerFunc {
	mux := http.NewServeMux()
	for _, rt := range a.table() {
		mux.Handle(rt.Method+" "+rt.Path, http.NotFoundHandler())
	}
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			httpapi.WriteAPIError(w, http.StatusMethodNotAllowed, httpapi.APIError{Message: r.Method + " " + r.URL.Path + " is not a route; it takes " + strings.Join(allow, ", ")})
			return
		}
		httpapi.WriteAPIError(w, http.StatusNotFound, httpapi.APIError{Message: "no route " + r.Method + " " + r.URL.Path + ": the routes are listed at /api/openapi.json"})
	}
}
