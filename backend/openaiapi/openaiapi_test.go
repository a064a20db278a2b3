package openaiapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/openaiapi"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/train"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

const token = "openai-test-token-0123456789"

type env struct {
	url   string
	demo  demo.Files
	runID string
}

// start serves the endpoint through httpapi with real services over a
// workspace holding the demo model and a completed run, "demo", whose
// adapter is not a no-op (its B matrices are random, not zero), so its
// answers differ from the base model's.
func start(t *testing.T, logTo ...io.Writer) *env {
	t.Helper()
	log := zerolog.Nop()
	if len(logTo) > 0 {
		log = zerolog.New(logTo[0])
	}
	dir := t.TempDir()
	ws, err := workspace.Open(filepath.Join(dir, "ws"))
	require.NoError(t, err)
	files, err := demo.Create(filepath.Join(ws.ModelsDir(), "demo"))
	require.NoError(t, err)

	store, err := runs.Open(ws.RunsDir())
	require.NoError(t, err)
	cfg := demo.RunConfig(files) // named "demo", as `whetstone demo` names its run
	rec, err := store.Create(cfg)
	require.NoError(t, err)
	m, err := model.Load(files.ModelDir, model.Options{})
	require.NoError(t, err)
	require.NoError(t, m.AddLoRA(model.LoRAConfig{Rank: cfg.LoRA.R, Alpha: cfg.LoRA.Alpha, TargetModules: cfg.LoRA.Targets}))
	state, err := m.LoRAState()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, st := range state {
		for i := range st.Data {
			st.Data[i] = float32(rng.NormFloat64() * 0.5)
		}
	}
	require.NoError(t, m.SetLoRAState(state))
	require.NoError(t, train.SaveAdapter(store.AdapterDir(rec.ID), m, cfg))
	_, err = store.Update(rec.ID, func(r *runs.Record) {
		now := time.Now()
		r.State, r.Finished = runs.Completed, &now
	})
	require.NoError(t, err)
	// A run that did not complete is not served.
	cfg.Name = "broken"
	failed, err := store.Create(cfg)
	require.NoError(t, err)
	_, err = store.Update(failed.ID, func(r *runs.Record) { r.State = runs.Failed })
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
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc, err := service.New(service.Deps{Workspace: ws, Log: zerolog.Nop(), Version: "test", Context: ctx, Getenv: getenv, Remote: true})
	require.NoError(t, err)
	t.Cleanup(svc.Close)
	srv, err := httpapi.New(httpapi.Options{
		Services: svc.Named(), Token: token, Log: zerolog.Nop(), AuthFailuresPerMinute: 1000,
		Routes: openaiapi.Routes(openaiapi.Deps{Services: svc, Log: log}),
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{url: ts.URL, demo: files, runID: rec.ID}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(t *testing.T, method, path, body string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// apiError reads the error shape strictly.
func (a answer) apiError(t *testing.T) httpapi.APIError {
	t.Helper()
	var b httpapi.ErrorBody
	dec := json.NewDecoder(strings.NewReader(a.body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&b), a.body)
	require.NotEmpty(t, b.Error.Message)
	return b.Error
}

// completion asks model who it is, greedily, with further fields.
func completion(model string, extra string) string {
	return asking(model, `"temperature": 0, "max_tokens": 12`+extra)
}

func asking(model, fields string) string {
	return `{"model": "` + model + `", "messages": [{"role": "system", "content": "Be brief."},
		{"role": "user", "content": [{"type": "text", "text": "Who "}, {"type": "text", "text": "are you?"}]}], ` + fields + `}`
}

func TestModelsListsTheDemoAndCompletedRuns(t *testing.T) {
	e := start(t)
	a := e.do(t, "GET", "/v1/models", "")
	require.Equal(t, http.StatusOK, a.status, a.body)
	var list openaiapi.ModelList
	require.NoError(t, json.Unmarshal([]byte(a.body), &list))
	require.Equal(t, "list", list.Object)
	ids := map[string]openaiapi.Model{}
	for _, m := range list.Data {
		require.Equal(t, "model", m.Object)
		require.NotEmpty(t, m.OwnedBy)
		ids[m.ID] = m
	}
	require.Len(t, ids, 2, "the demo model and the completed run, not the failed one nor the demo twice: %s", a.body)
	require.Contains(t, ids, "demo")
	require.Contains(t, ids, "run:demo")
	require.Positive(t, ids["run:demo"].Created)

	a = e.do(t, "GET", "/v1/models/run:demo", "")
	require.Equal(t, http.StatusOK, a.status, a.body)
	a = e.do(t, "GET", "/v1/models/google/gemma-3-1b-it", "")
	require.Equal(t, http.StatusNotFound, a.status, a.body)
	require.Equal(t, "not_found", a.apiError(t).Code)
}

func TestChatCompletion(t *testing.T) {
	e := start(t)
	a := e.do(t, "POST", "/v1/chat/completions", completion("demo", ""))
	require.Equal(t, http.StatusOK, a.status, a.body)
	var c openaiapi.ChatCompletion
	require.NoError(t, json.Unmarshal([]byte(a.body), &c))
	require.Equal(t, "chat.completion", c.Object)
	require.True(t, strings.HasPrefix(c.ID, "chatcmpl-"), c.ID)
	require.Equal(t, "demo", c.Model)
	require.Len(t, c.Choices, 1)
	require.Equal(t, "assistant", c.Choices[0].Message.Role)
	require.NotEmpty(t, c.Choices[0].Message.Content)
	require.Contains(t, []string{"stop", "length"}, c.Choices[0].FinishReason)
	require.Positive(t, c.Usage.PromptTokens)
	require.Positive(t, c.Usage.CompletionTokens)
	require.LessOrEqual(t, c.Usage.CompletionTokens, 12)
	require.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)
	require.Equal(t, chat.WeightsFloat32, c.Weights, "auto keeps the tiny demo model in float32, and the answer says so")

	// The weights extension reaches the engine.
	q := e.do(t, "POST", "/v1/chat/completions", completion("demo", `, "weights": "int8"`))
	require.Equal(t, http.StatusOK, q.status, q.body)
	var cq openaiapi.ChatCompletion
	require.NoError(t, json.Unmarshal([]byte(q.body), &cq))
	require.Equal(t, chat.WeightsInt8, cq.Weights)
	require.Positive(t, cq.Usage.CompletionTokens)

	// Greedy decoding answers alike; the run's adapter changes the answer;
	// the run may be named by its id too.
	again := e.do(t, "POST", "/v1/chat/completions", completion("demo", ""))
	var c2 openaiapi.ChatCompletion
	require.NoError(t, json.Unmarshal([]byte(again.body), &c2))
	require.Equal(t, c.Choices[0].Message.Content, c2.Choices[0].Message.Content)
	for _, name := range []string{"run:demo", "run:" + e.runID} {
		tuned := e.do(t, "POST", "/v1/chat/completions", completion(name, ""))
		require.Equal(t, http.StatusOK, tuned.status, tuned.body)
		var ct openaiapi.ChatCompletion
		require.NoError(t, json.Unmarshal([]byte(tuned.body), &ct))
		require.NotEqual(t, c.Choices[0].Message.Content, ct.Choices[0].Message.Content, "the adapter must be applied")
	}

	// A stop string taken from the middle of the answer ends it there,
	// without the stop string. Sampled with a seed, the untrained demo's
	// answer varies (greedy, it repeats one token) and is reproducible.
	sampled := `"temperature": 1, "seed": 7, "max_tokens": 16`
	var full openaiapi.ChatCompletion
	a = e.do(t, "POST", "/v1/chat/completions", asking("demo", sampled))
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.NoError(t, json.Unmarshal([]byte(a.body), &full))
	text := []rune(full.Choices[0].Message.Content)
	require.Greater(t, len(text), 3, "the demo's answer is too short to cut: %q", string(text))
	at := len(text) / 2
	for strings.Index(string(text), string(text[at:at+2])) != len(string(text[:at])) {
		at--
	}
	require.Positive(t, at, "the answer must not start with its middle: %q", string(text))
	stop, _ := json.Marshal(string(text[at : at+2]))
	cut := e.do(t, "POST", "/v1/chat/completions", asking("demo", sampled+`, "stop": `+string(stop)))
	require.Equal(t, http.StatusOK, cut.status, cut.body)
	var cc openaiapi.ChatCompletion
	require.NoError(t, json.Unmarshal([]byte(cut.body), &cc))
	require.Equal(t, string(text[:at]), cc.Choices[0].Message.Content)
	require.Equal(t, "stop", cc.Choices[0].FinishReason)
}

// events reads a Server-Sent Events body into its data lines.
func events(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		require.True(t, strings.HasPrefix(line, "data: "), "not a data line: %q", line)
		out = append(out, strings.TrimPrefix(line, "data: "))
	}
	return out
}

func TestChatCompletionStreams(t *testing.T) {
	e := start(t)
	whole := e.do(t, "POST", "/v1/chat/completions", completion("run:demo", ""))
	var c openaiapi.ChatCompletion
	require.NoError(t, json.Unmarshal([]byte(whole.body), &c))

	a := e.do(t, "POST", "/v1/chat/completions", completion("run:demo", `, "stream": true, "stream_options": {"include_usage": true}`))
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.Equal(t, "text/event-stream", a.header.Get("Content-Type"))
	data := events(t, a.body)
	require.GreaterOrEqual(t, len(data), 4, a.body)
	require.Equal(t, "[DONE]", data[len(data)-1])

	var text strings.Builder
	var finish string
	var weights chat.Weights
	var usage *openaiapi.Usage
	for i, d := range data[:len(data)-1] {
		var ch openaiapi.ChatCompletionChunk
		require.NoError(t, json.Unmarshal([]byte(d), &ch), d)
		require.Equal(t, "chat.completion.chunk", ch.Object)
		require.Equal(t, "run:demo", ch.Model)
		if ch.Usage != nil {
			require.Empty(t, ch.Choices, "the usage chunk has no choices")
			usage = ch.Usage
			continue
		}
		require.Len(t, ch.Choices, 1)
		if i == 0 {
			require.Equal(t, "assistant", ch.Choices[0].Delta.Role)
		}
		if ch.Choices[0].Delta.Content != nil {
			text.WriteString(*ch.Choices[0].Delta.Content)
		}
		if ch.Choices[0].FinishReason != nil {
			finish = *ch.Choices[0].FinishReason
			weights = ch.Weights
		} else {
			require.Empty(t, ch.Weights, "only the finishing chunk says the weights")
		}
	}
	require.Equal(t, c.Choices[0].Message.Content, text.String(), "streamed and whole answers agree")
	require.Equal(t, c.Choices[0].FinishReason, finish)
	require.Equal(t, c.Weights, weights)
	require.NotNil(t, usage)
	require.Equal(t, c.Usage, *usage)

	// Without include_usage, no usage chunk.
	a = e.do(t, "POST", "/v1/chat/completions", completion("demo", `, "stream": true`))
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.NotContains(t, a.body, `"usage"`)
	require.True(t, strings.HasSuffix(a.body, "data: [DONE]\n\n"))
}

func TestChatCompletionErrors(t *testing.T) {
	e := start(t)
	for _, c := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"unknown model", completion("google/gemma-9-nope", ""), 404, "not_found", "model"},
		{"unknown run", completion("run:nope", ""), 404, "not_found", "model"},
		{"failed run", completion("run:broken", ""), 404, "not_found", "model"},
		{"no model", completion("", ""), 400, "invalid", "model"},
		{"not JSON", `{"model": `, 400, "invalid", ""},
		{"empty body", ``, 400, "invalid", ""},
		{"wrong type", `{"model": "demo", "messages": "hi"}`, 400, "invalid", "messages"},
		{"no messages", `{"model": "demo", "messages": []}`, 400, "invalid", "messages"},
		{"tool role", `{"model": "demo", "messages": [{"role": "tool", "content": "x"}]}`, 400, "invalid", "messages[0].role"},
		{"image part", `{"model": "demo", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}`, 400, "invalid", "messages[0].content[0].type"},
		{"bad content", `{"model": "demo", "messages": [{"role": "user", "content": 5}]}`, 400, "invalid", "messages[0].content"},
		{"temperature", completion("demo", `, "temperature": 9`)[:0] + `{"model": "demo", "messages": [{"role": "user", "content": "hi"}], "temperature": 9}`, 400, "invalid", "temperature"},
		{"max_tokens", completion("demo", `, "max_completion_tokens": 100000000`), 400, "invalid", "max_completion_tokens"},
		{"zero max_tokens", `{"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}`, 400, "invalid", "max_tokens"},
		{"stop type", completion("demo", `, "stop": 5`), 400, "invalid", "stop"},
		{"too many stops", completion("demo", `, "stop": ["a", "b", "c", "d", "e"]`), 400, "invalid", "stop"},
		{"long stop", completion("demo", `, "stop": ["`+strings.Repeat("x", 65)+`"]`), 400, "invalid", "stop[0]"},
		{"n", completion("demo", `, "n": 2`), 400, "invalid", "n"},
		{"weights", completion("demo", `, "weights": "int4"`), 400, "invalid", "weights"},
		{"weights type", completion("demo", `, "weights": 8`), 400, "invalid", "weights"},
		{"streamed unknown model", completion("nope/nope", `, "stream": true`), 404, "not_found", "model"},
	} {
		a := e.do(t, "POST", "/v1/chat/completions", c.body)
		require.Equal(t, c.status, a.status, "%s: %s", c.name, a.body)
		ae := a.apiError(t)
		require.Equal(t, c.code, ae.Code, c.name)
		require.Equal(t, c.field, ae.Field, "%s: %s", c.name, ae.Message)
	}

	// A model folder outside the allowed folders is refused before it is
	// looked at.
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "config.json"), []byte("{}"), 0o644))
	a := e.do(t, "POST", "/v1/chat/completions", completion(filepath.ToSlash(outside), ""))
	require.Equal(t, http.StatusForbidden, a.status, a.body)
	require.Equal(t, "model", a.apiError(t).Field)

	// Unknown fields are ignored, as OpenAI-compatible servers do.
	a = e.do(t, "POST", "/v1/chat/completions", completion("demo", `, "user": "me", "frequency_penalty": 0.5, "logit_bias": {}`))
	require.Equal(t, http.StatusOK, a.status, a.body)

	// Without the token: 401 in the same shape, from the guards.
	req, err := http.NewRequest("POST", e.url+"/v1/chat/completions", strings.NewReader(completion("demo", "")))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "unauthorized", answer{body: string(body)}.apiError(t).Code)
	a = e.do(t, "GET", "/v1/models", "", "Authorization", "Bearer wrong-token")
	require.Equal(t, http.StatusUnauthorized, a.status)
}

// lineWriter hands each log line to a channel, so a test waits for the
// line rather than for time to pass.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// TestClientGoingAwayStopsGeneration: a streamed answer whose client
// disconnects after its first piece stops generating long before the
// 2,048-token context of the demo model would end it.
func TestClientGoingAwayStopsGeneration(t *testing.T) {
	logs := make(lineWriter, 16)
	e := start(t, logs)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", e.url+"/v1/chat/completions",
		strings.NewReader(`{"model": "demo", "messages": [{"role": "user", "content": "hi"}], "stream": true, "max_tokens": 30000, "temperature": 1, "seed": 1}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "data: "), line)
	cancel()
	resp.Body.Close()

	var entry struct {
		Message string `json:"message"`
		Tokens  int    `json:"tokens"`
	}
	for entry.Message == "" {
		require.NoError(t, json.Unmarshal([]byte(<-logs), &entry))
		if !strings.Contains(entry.Message, "went away") {
			entry.Message = ""
		}
	}
	t.Logf("stopped after %d tokens", entry.Tokens)
	require.Less(t, entry.Tokens, 1000, "generation went on after the client left")

	// The slot it held is free again: MaxChatStreams answers still fit.
	a := e.do(t, "POST", "/v1/chat/completions", completion("demo", ""))
	require.Equal(t, http.StatusOK, a.status, a.body)
}

// TestTheREADMEExample sends the body of the README's curl example, as
// `whetstone demo` then `whetstone serve` would answer it.
func TestTheREADMEExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "### OpenAI-compatible endpoint")
	require.True(t, ok, "the README has no OpenAI-compatible endpoint section")
	m := regexp.MustCompile(`(?s)curl (\S+/v1/chat/completions).*? -d '(\{.*?\})'`).FindStringSubmatch(section)
	require.NotNil(t, m, "no curl example with a body in the section")
	require.Equal(t, "http://127.0.0.1:8080/v1/chat/completions", m[1])

	e := start(t)
	a := e.do(t, "POST", "/v1/chat/completions", m[2])
	require.Equal(t, http.StatusOK, a.status, a.body)
	data := events(t, a.body)
	require.Equal(t, "[DONE]", data[len(data)-1])
	require.Contains(t, data[0], `"role":"assistant"`)
}
