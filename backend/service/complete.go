package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/quote"
	"github.com/whetstone-ai/whetstone/backend/runs"
)

// Completion is an answer of Complete.
type Completion struct {
	Text         string
	PromptTokens int
	Tokens       int
	// FinishReason is "stop" (the end of the turn or a stop string) or
	// "length" (max_new_tokens or the model's context).
	FinishReason string
	// Weights is how the base weights were kept (ChatRequest.Weights,
	// auto resolved).
	Weights chat.Weights
}

// Complete answers req in the caller's goroutine, calling onText (when
// non-nil) with each new piece of the answer: for programs that stream it
// themselves (the OpenAI-compatible endpoint) rather than read "chat.token"
// events. It checks and resolves req as Chat.Generate does and generates
// with the same engine, so both answer alike. Cancelling ctx (the client
// went away) or closing the services stops it, returning the partial
// answer with the context's error; an error from onText stops it too. It
// counts against MaxChatStreams with the Chat screen's answers.
func (s *Services) Complete(ctx context.Context, req ChatRequest, onText func(string) error) (out Completion, err error) {
	c := s.Chat
	defer guard(c.deps.Log, "Chat.Complete", &err)
	engine, creq, err := c.prepare(req)
	if err != nil {
		return out, err
	}
	id, err := newStreamID()
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.deps.Context, cancel)
	defer stop()
	if err := c.streams.add(id, cancel); err != nil {
		return out, err
	}
	defer c.streams.remove(id)
	res, err := engine.Generate(ctx, creq, onText)
	out = Completion{Text: res.Text, PromptTokens: res.PromptTokens, Tokens: res.Tokens, FinishReason: res.FinishReason, Weights: res.Weights}
	return out, err
}

// The models programs may name, as the OpenAI-compatible endpoint lists
// them (GET /v1/models) and takes them (the "model" of a chat completion):
//
//   - "demo": the offline demo model, once made (whetstone demo, or the
//     Models screen);
//   - a Hugging Face id ("google/gemma-3-270m-it") of a model in the
//     Hugging Face cache with its weights, and the base model of every run
//     (its model.source: a hub id or a local folder);
//   - "run:<name>" for a completed run's adapter on its base model, or
//     "run:<id>" when another run has the same name. A request may name
//     the run by anything the resolver takes after "run:" (its id, the
//     start of its id or its name);
//   - in a request, also a local model folder the path policy allows.

// DemoModelID names the demo model.
const DemoModelID = "demo"

// RunModelPrefix starts the id of a run's adapter.
const RunModelPrefix = "run:"

// ErrUnknownModel marks a model name that is none of the above.
var ErrUnknownModel = errors.New("unknown model")

// ServedModel is one model programs may chat with.
type ServedModel struct {
	ID string
	// Created is when the run finished or the model folder was written.
	Created time.Time
	// Run is the run's id for a run's adapter, "" for a base model.
	Run string
	// Base is the base model reference (a run's model.source).
	Base string
}

// demoModelDir is where Runs.Demo writes the demo model.
func (d Deps) demoModelDir() string {
	return filepath.Join(d.Workspace.ModelsDir(), "demo", demo.ModelDirName)
}

// ServedModels lists the models programs may name: the base models the
// Models screen's picker offers (Models.Choices: the demo, recent folders
// and hub ids, the Hugging Face cache) that are on this machine with
// weights the chat engine can read, the runs' local base models, then the
// completed runs' adapters, newest first.
func (s *Services) ServedModels() (out []ServedModel, err error) {
	defer guard(s.Chat.deps.Log, "Chat.ServedModels", &err)
	demoDir := s.Chat.deps.demoModelDir()
	out = []ServedModel{}
	seen := map[string]bool{}
	add := func(id, base, dir string, created time.Time) {
		if seen[id] {
			return
		}
		seen[id] = true
		if created.IsZero() {
			if st, err := os.Stat(dir); err == nil {
				created = st.ModTime()
			}
		}
		out = append(out, ServedModel{ID: id, Base: base, Created: created})
	}
	choices, err := s.Models.Choices()
	if err != nil {
		return nil, err
	}
	for _, c := range choices {
		if c.Dir == "" || c.Missing || !c.HasWeights || !chatLoadable(c.Dir) {
			continue
		}
		add(servedBase(c.Ref, demoDir), c.Ref, c.Dir, time.Time{})
	}
	list, err := s.Runs.List()
	if err != nil {
		return nil, err
	}
	names := map[string]int{}
	for _, r := range list {
		names[r.Name]++
	}
	var adapters []ServedModel
	for _, r := range list {
		// A run's base on the hub is listed above when it is cached; one
		// that is not would be downloaded by the first request.
		if src := strings.TrimSpace(r.Model); hub.LooksLikePath(src) || filepath.IsAbs(src) {
			if _, err := s.Chat.deps.checkPath(src); err == nil && chatLoadable(src) {
				add(servedBase(src, demoDir), src, src, time.Time{})
			}
		}
		if r.State != runs.Completed {
			continue
		}
		if _, dir, _, err := s.Runs.adapterOf(r.ID); err != nil || dir == "" {
			continue
		}
		id := RunModelPrefix + r.ID
		if r.Name != "" && names[r.Name] == 1 && !runs.IsID(r.Name) {
			id = RunModelPrefix + r.Name
		}
		created := r.Created
		if r.Finished != nil {
			created = *r.Finished
		}
		adapters = append(adapters, ServedModel{ID: id, Created: created, Run: r.ID, Base: r.Model})
	}
	for _, a := range adapters {
		if !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// servedBase is the id a run's base model is listed under: "demo" for the
// demo model, else its model.source.
func servedBase(source, demoDir string) string {
	source = strings.TrimSpace(source)
	if source != "" && filepath.Clean(source) == filepath.Clean(demoDir) {
		return DemoModelID
	}
	return source
}

// chatLoadable tells a model folder the chat engine can load: weights, a
// tokenizer and a config of an architecture it knows.
func chatLoadable(dir string) bool {
	weights, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if len(weights) == 0 || (!exists(filepath.Join(dir, "tokenizer.json")) && !exists(filepath.Join(dir, "tokenizer.model"))) {
		return false
	}
	_, err := model.LoadConfig(filepath.Join(dir, "config.json"))
	return err == nil
}

// UseServedModel points req at the served model named id (RunID for a
// run's adapter, Model otherwise). A name that is none of them is an
// ErrUnknownModel whose message says what is served.
func (s *Services) UseServedModel(req *ChatRequest, id string) (err error) {
	defer guard(s.Chat.deps.Log, "Chat.UseServedModel", &err)
	id = strings.TrimSpace(id)
	unknown := func(why string) error {
		return fmt.Errorf("%w: %s %s; GET /v1/models lists the models served", ErrUnknownModel, quote.Value(id), why)
	}
	switch {
	case id == "":
		return invalidf("model: no model given; GET /v1/models lists the models served")
	case strings.HasPrefix(id, RunModelPrefix):
		ref := strings.TrimPrefix(id, RunModelPrefix)
		if _, _, _, err := s.Runs.adapterOf(ref); err != nil {
			return fmt.Errorf("%w: %w", ErrUnknownModel, err)
		}
		req.RunID, req.Model, req.Adapter = ref, "", ""
		return nil
	case id == DemoModelID:
		dir := s.Chat.deps.demoModelDir()
		if !exists(filepath.Join(dir, "model.safetensors")) {
			return unknown("is not made yet: run `whetstone demo` or open the Models screen's demo")
		}
		req.RunID, req.Model, req.Adapter = "", dir, ""
		return nil
	}
	served, err := s.ServedModels()
	if err != nil {
		return err
	}
	for _, m := range served {
		if m.ID == id && m.Run == "" {
			req.RunID, req.Model, req.Adapter = "", m.Base, ""
			return nil
		}
	}
	if hub.LooksLikePath(id) || filepath.IsAbs(id) {
		dir, err := s.Chat.deps.checkPath(id)
		if err != nil {
			return err
		}
		if !exists(filepath.Join(dir, "config.json")) {
			return unknown("is not a model folder (it has no config.json)")
		}
		req.RunID, req.Model, req.Adapter = "", dir, ""
		return nil
	}
	return unknown("is not served")
}
