// Package openaiapi is the OpenAI-compatible endpoint of `whetstone serve`:
// GET /v1/models and POST /v1/chat/completions (streaming or not), so the
// tools people already have (the openai client libraries, Open WebUI,
// editors) can chat with base models and fine-tuned runs. It translates
// the wire format only: answers come from service.Services.Complete, the
// chat engine and templates the Chat screen uses, and the routes sit behind
// httpapi's guards (the token as a Bearer header, caps on work).
package openaiapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/backend/pathpolicy"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// MaxConversationBytes bounds the text of a request's messages together:
// far more than any context these models take, yet a request cannot make
// the tokenizer and template chew on the whole body limit.
const MaxConversationBytes = 1 << 20

// Deps are what the endpoint serves from.
type Deps struct {
	Services *service.Services
	Log      zerolog.Logger
}

// Routes are the endpoint's handlers, for httpapi.Options.Routes. Both are
// call routes: the body is read and capped before the handler runs, and a
// streamed answer may take as long as a call.
func Routes(d Deps) []httpapi.Route {
	h := &handler{svc: d.Services, log: d.Log}
	return []httpapi.Route{
		{Pattern: "GET /v1/models", Kind: httpapi.CallRoute, Handler: http.HandlerFunc(h.listModels)},
		// Hub ids hold a slash (google/gemma-3-1b-it), hence the rest-of-path wildcard.
		{Pattern: "GET /v1/models/{id...}", Kind: httpapi.CallRoute, Handler: http.HandlerFunc(h.getModel)},
		{Pattern: "POST /v1/chat/completions", Kind: httpapi.CallRoute, Handler: http.HandlerFunc(h.chatCompletions)},
	}
}

type handler struct {
	svc *service.Services
	log zerolog.Logger
}

func (h *handler) models() ([]Model, error) {
	served, err := h.svc.ServedModels()
	if err != nil {
		return nil, err
	}
	out := make([]Model, 0, len(served))
	for _, m := range served {
		owner := "whetstone"
		if m.Run == "" && m.ID != service.DemoModelID {
			if org, _, ok := strings.Cut(m.ID, "/"); ok && !strings.ContainsAny(m.ID, `\`) && !strings.HasPrefix(m.ID, "/") && !strings.HasPrefix(m.ID, ".") {
				owner = org
			}
		}
		var created int64
		if !m.Created.IsZero() {
			created = m.Created.Unix()
		}
		out = append(out, Model{ID: m.ID, Object: "model", Created: created, OwnedBy: owner})
	}
	return out, nil
}

func (h *handler) listModels(w http.ResponseWriter, r *http.Request) {
	list, err := h.models()
	if err != nil {
		h.fail(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, ModelList{Object: "list", Data: list})
}

func (h *handler) getModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	list, err := h.models()
	if err != nil {
		h.fail(w, err, nil)
		return
	}
	for _, m := range list {
		if m.ID == id {
			writeJSON(w, http.StatusOK, m)
			return
		}
	}
	httpapi.WriteAPIError(w, http.StatusNotFound, httpapi.APIError{
		Message: fmt.Sprintf("model %q is not served; GET /v1/models lists those that are", id), Field: "model"})
}

func (h *handler) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req ChatCompletionRequest
	creq, err := parseRequest(r.Body, &req)
	if err != nil {
		h.fail(w, err, &req)
		return
	}
	if err := h.svc.UseServedModel(&creq, req.Model); err != nil {
		h.fail(w, err, &req)
		return
	}
	id, err := completionID()
	if err != nil {
		h.fail(w, err, &req)
		return
	}
	created := time.Now().Unix()
	if !req.Stream {
		out, err := h.svc.Complete(r.Context(), creq, nil)
		if err != nil {
			h.fail(w, err, &req)
			return
		}
		writeJSON(w, http.StatusOK, ChatCompletion{
			ID: id, Object: "chat.completion", Created: created, Model: req.Model,
			Choices: []Choice{{Message: ResponseMessage{Role: "assistant", Content: out.Text}, FinishReason: out.FinishReason}},
			Usage:   usage(out), Weights: out.Weights,
		})
		return
	}
	s := &stream{w: w, rc: http.NewResponseController(w), id: id, created: created, model: req.Model}
	out, err := h.svc.Complete(r.Context(), creq, s.content)
	switch {
	case err == nil:
		var u *Usage
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			uu := usage(out)
			u = &uu
		}
		s.finish(out.FinishReason, out.Weights, u)
	case r.Context().Err() != nil || s.err != nil:
		// The client went away (its context ended or a write failed), so
		// Complete stopped generating; nobody reads an error.
		h.log.Info().Str("model", req.Model).Int("tokens", out.Tokens).Msg("the client went away; generation stopped")
	case !s.started:
		h.fail(w, err, &req)
	default:
		// Headers are out: the error goes as a last event, which the openai
		// clients raise (they read "error" in a chunk).
		status, e := classify(err, &req)
		h.logFailure(status, err)
		s.write(httpapi.ErrorBody{Error: e})
		s.done()
	}
}

func usage(c service.Completion) Usage {
	return Usage{PromptTokens: c.PromptTokens, CompletionTokens: c.Tokens, TotalTokens: c.PromptTokens + c.Tokens}
}

// stream writes a streamed answer as chat.completion.chunk events. The
// status and headers go out with the first piece of text, so a request
// that fails before it (an unknown model, a bad value) still gets its
// error status.
type stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	id      string
	created int64
	model   string
	started bool
	err     error // the first write error: the client is gone
}

func (s *stream) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // a proxy in front (nginx) must not hold the pieces back
	s.w.WriteHeader(http.StatusOK)
	empty := ""
	s.chunk(Delta{Role: "assistant", Content: &empty}, nil)
}

func (s *stream) chunk(d Delta, finish *string) {
	s.write(s.choice(d, finish))
}

func (s *stream) choice(d Delta, finish *string) ChatCompletionChunk {
	return ChatCompletionChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: []ChunkChoice{{Delta: d, FinishReason: finish}}}
}

func (s *stream) write(v any) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		_, err = fmt.Fprintf(s.w, "data: %s\n\n", b)
	}
	if err == nil {
		err = s.rc.Flush()
	}
	s.err = err
}

// content sends a piece of the answer; a failed write stops generation.
func (s *stream) content(text string) error {
	s.start()
	s.chunk(Delta{Content: &text}, nil)
	return s.err
}

func (s *stream) finish(reason string, w chat.Weights, u *Usage) {
	s.start()
	last := s.choice(Delta{}, &reason)
	last.Weights = w
	s.write(last)
	if u != nil {
		s.write(ChatCompletionChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model, Choices: []ChunkChoice{}, Usage: u})
	}
	s.done()
}

func (s *stream) done() {
	if s.err == nil {
		_, s.err = io.WriteString(s.w, "data: [DONE]\n\n")
		if s.err == nil {
			s.err = s.rc.Flush()
		}
	}
}

func completionID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("completion id: %w", err)
	}
	return "chatcmpl-" + hex.EncodeToString(b), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers err in the versioned API's error shape.
func (h *handler) fail(w http.ResponseWriter, err error, req *ChatCompletionRequest) {
	status, e := classify(err, req)
	h.logFailure(status, err)
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	httpapi.WriteAPIError(w, status, e)
}

func (h *handler) logFailure(status int, err error) {
	if status >= http.StatusInternalServerError || status == http.StatusUnprocessableEntity {
		h.log.Warn().Err(err).Int("status", status).Msg("chat completion failed")
	}
}

// requestError is a request refused for one of its fields.
type requestError struct {
	field string
	msg   string
}

func (e *requestError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

func fieldErr(field, format string, args ...any) error {
	return &requestError{field: field, msg: fmt.Sprintf(format, args...)}
}

// leadingField finds the field an invalid ChatRequest's message starts
// with ("top_p: ...", "messages[2].role: ...", "stop[0]: ...").
var leadingField = regexp.MustCompile(`^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?): `)

// classify picks the status and error body for err:
//
//   - a body or field this endpoint refuses, or a value the chat service
//     refuses (service.ErrInvalidRequest): 400, with the field in
//     OpenAI's names (max_tokens, not max_new_tokens)
//   - a model that is not served, or a run that is not there: 404
//   - a model folder outside the allowed folders: 403
//   - MaxChatStreams answers already being generated: 429, which the
//     openai clients retry after a pause
//   - anything else (a model that fails to load): 422, as the REST API
//     answers what the services report
func classify(err error, req *ChatCompletionRequest) (int, httpapi.APIError) {
	var re *requestError
	if errors.As(err, &re) {
		return http.StatusBadRequest, httpapi.APIError{Code: "invalid", Message: re.Error(), Field: re.field}
	}
	msg := err.Error()
	switch {
	case errors.Is(err, service.ErrInvalidRequest):
		e := httpapi.APIError{Code: "invalid", Message: msg}
		if m := leadingField.FindStringSubmatch(msg); m != nil {
			e.Field = m[1]
			if e.Field == "max_new_tokens" {
				e.Field = "max_tokens"
				if req != nil && req.MaxCompletionTokens != nil {
					e.Field = "max_completion_tokens"
				}
				e.Message = e.Field + msg[len("max_new_tokens"):]
			}
		}
		return http.StatusBadRequest, e
	case errors.Is(err, service.ErrUnknownModel), errors.Is(err, runs.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound, httpapi.APIError{Code: "not_found", Message: msg, Field: "model"}
	case errors.Is(err, pathpolicy.ErrOutside):
		return http.StatusForbidden, httpapi.APIError{Code: "forbidden", Message: msg, Field: "model"}
	case errors.Is(err, service.ErrBusy):
		return http.StatusTooManyRequests, httpapi.APIError{Code: "rate_limited", Message: msg}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, httpapi.APIError{Code: "busy", Message: msg}
	}
	return http.StatusUnprocessableEntity, httpapi.APIError{Code: "invalid", Message: msg}
}
