package restapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/contract"
	"github.com/whetstone-ai/whetstone/backend/httpapi"
)

// document is the OpenAPI document, generated from the route table and the
// Go types by `go generate ./backend/restapi` (gen.go): the doc comments
// and enumerations it carries come from the sources, which a built binary
// does not have. A test fails while it is out of date.
//
//go:embed openapi.json
var document []byte

//go:generate go run gen.go

// Describe lists every route the document describes: the REST API's (their
// handlers not usable) and the OpenAI-compatible endpoint's.
func Describe() []Route {
	return append((&api{}).table(), openAIRoutes()...)
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)\.{0,3}\}`)

// Document is the OpenAPI 3.1 document of routes; root is the module's
// folder, whose sources give the types' doc comments and enumerations.
func Document(root string, routes []Route) ([]byte, error) {
	var values []any
	values = append(values, httpapi.ErrorBody{})
	for _, rt := range routes {
		values = append(values, rt.Body, rt.Result)
		for _, p := range rt.Events {
			values = append(values, p)
		}
	}
	var nonNil []any
	for _, v := range values {
		if v != nil {
			nonNil = append(nonNil, v)
		}
	}
	schemas, err := contract.NewSchemas(root, nonNil...)
	if err != nil {
		return nil, err
	}
	schemas.Field = configConstraints()
	paths := map[string]map[string]any{}
	ids := map[string]bool{}
	for _, rt := range routes {
		op, err := operation(schemas, rt)
		if err != nil {
			return nil, err
		}
		id := op["operationId"].(string)
		if ids[id] {
			return nil, fmt.Errorf("restapi: two routes have the operation id %s", id)
		}
		ids[id] = true
		p := pathParam.ReplaceAllString(rt.Path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.Method)] = op
	}
	comps, err := schemas.Components()
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Whetstone API",
			"version": "1",
			"description": "Fine-tune, follow and export models from code. Every request carries the access token `whetstone serve` prints, " +
				"as `Authorization: Bearer <token>` (a browser that opened the UI's URL sends it as a cookie). " +
				"Errors have one shape: `{\"error\": {\"code\", \"message\", \"field\"?}}`.",
		},
		"security": []any{map[string]any{"bearer": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": comps,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "the access token of `whetstone serve`"},
			},
			"responses": map[string]any{
				"Error": map[string]any{
					"description": "the request failed; error.message says why, error.field names the request field at fault",
					"content":     map[string]any{"application/json": map[string]any{"schema": schemas.Of(httpapi.ErrorBody{})}},
				},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// commonErrors are the statuses any route may answer: the guards of the
// server (token, rate of wrong tokens, busy).
var commonErrors = []int{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable}

func operation(schemas *contract.Schemas, rt Route) (map[string]any, error) {
	if rt.Status == 0 || rt.Summary == "" {
		return nil, fmt.Errorf("restapi: route %s %s needs a status and a summary", rt.Method, rt.Path)
	}
	op := map[string]any{
		"operationId": operationID(rt),
		"summary":     rt.Summary,
	}
	if rt.Tag != "" {
		op["tags"] = []string{rt.Tag}
	}
	desc := rt.Description
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.Query {
		p := map[string]any{"name": q.Name, "in": "query", "schema": schemas.Of(q.Example)}
		if q.Description != "" {
			p["description"] = q.Description
		}
		if q.Required {
			p["required"] = true
		}
		params = append(params, p)
	}
	if params != nil {
		op["parameters"] = params
	}
	switch {
	case rt.Body != nil:
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemas.Input(rt.Body)}}}
	case rt.BodyType != "":
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.BodyType: map[string]any{}}}
	}
	ok := map[string]any{"description": http.StatusText(rt.Status)}
	content := map[string]any{}
	if rt.Result != nil {
		content["application/json"] = map[string]any{"schema": schemas.Of(rt.Result)}
	}
	switch rt.ResultType {
	case "":
	case "text/event-stream":
		content[rt.ResultType] = map[string]any{"schema": map[string]any{"type": "string"}}
		topics := make([]string, 0, len(rt.Events))
		for t := range rt.Events {
			topics = append(topics, t)
		}
		sort.Strings(topics)
		events := map[string]any{}
		var lines []string
		for _, t := range topics {
			events[t] = schemas.Of(rt.Events[t])
			lines = append(lines, "- `"+t+"`: "+schemaName(schemas.Of(rt.Events[t])))
		}
		// OpenAPI has no words for an event stream: the topics and their
		// payloads' schemas go in an extension and in the text.
		op["x-events"] = events
		desc = strings.TrimSpace(desc + "\n\nEvents (`event:` topic, `data:` JSON payload):\n" + strings.Join(lines, "\n"))
	case "application/zip":
		// The zip of a folder, or one of its files as is.
		content[rt.ResultType] = map[string]any{}
		content["application/octet-stream"] = map[string]any{}
		ok["headers"] = map[string]any{"Content-Disposition": map[string]any{"description": "attachment; filename=...", "schema": map[string]any{"type": "string"}}}
	default:
		content[rt.ResultType] = map[string]any{}
	}
	if len(content) > 0 {
		ok["content"] = content
	}
	responses := map[string]any{strconv.Itoa(rt.Status): ok}
	errs := append(append([]int(nil), rt.Errors...), commonErrors...)
	if rt.Body != nil {
		errs = append(errs, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	if rt.BodyType != "" {
		errs = append(errs, http.StatusRequestEntityTooLarge)
	}
	for _, code := range errs {
		responses[strconv.Itoa(code)] = map[string]any{"$ref": "#/components/responses/Error"}
	}
	responses["default"] = map[string]any{"$ref": "#/components/responses/Error"}
	op["responses"] = responses
	if desc != "" {
		op["description"] = desc
	}
	return op, nil
}

func schemaName(s map[string]any) string {
	if ref, ok := s["$ref"].(string); ok {
		return ref[strings.LastIndexByte(ref, '/')+1:]
	}
	return "JSON"
}

// operationID names a route for code generators: the method and the
// path's words, e.g. getRunsRefMetrics.
func operationID(rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	p := strings.TrimPrefix(strings.TrimPrefix(rt.Path, "/api/v1"), "/api")
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '.' || r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// serveDocument answers the OpenAPI document.
func serveDocument(doc []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
	})
}
