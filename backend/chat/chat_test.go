package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func tinyChatModel(t *testing.T) string {
	t.Helper()
	cfg, err := model.Preset("tiny")
	require.NoError(t, err)
	m, err := model.NewRandom(cfg, 7, model.Options{})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, m.SaveCheckpoint(dir))
	tokenizertest.ByteLevel(t, dir)
	return dir
}

func TestGenerateStreamsTheWholeAnswer(t *testing.T) {
	dir := tinyChatModel(t)
	e := NewEngine(model.Options{}, 2)
	req := Request{
		ModelDir: dir, Messages: []chattemplate.Message{{Role: "user", Content: "hello world"}},
		MaxNewTokens: 12, System: "be brief",
	}
	var pieces []string
	res, err := e.Generate(context.Background(), req, func(s string) error {
		pieces = append(pieces, s)
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, res.Tokens)
	require.LessOrEqual(t, res.Tokens, 12)
	require.Positive(t, res.PromptTokens)
	require.Equal(t, res.Text, strings.Join(pieces, ""))

	// Greedy decoding is deterministic, and the second call reuses the model.
	again, err := e.Generate(context.Background(), req, nil)
	require.NoError(t, err)
	require.Equal(t, res.Text, again.Text)
	require.Len(t, e.loaded, 1)
}

func TestGenerateErrors(t *testing.T) {
	e := NewEngine(model.Options{}, 1)
	_, err := e.Generate(context.Background(), Request{ModelDir: t.TempDir()}, nil)
	require.ErrorContains(t, err, "no messages")
	_, err = e.Generate(context.Background(), Request{ModelDir: t.TempDir(), Messages: []chattemplate.Message{{Role: "user", Content: "x"}}}, nil)
	require.ErrorContains(t, err, "config.json")

	dir := tinyChatModel(t)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err = e.Generate(ctx, Request{ModelDir: dir, Messages: []chattemplate.Message{{Role: "user", Content: "hello"}}, MaxNewTokens: 50,
		Sampling: model.SamplingOptions{Temperature: 1}, Seed: 3}, func(string) error {
		n++
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1, n)
}

// generate answers "hello world" greedily, returning the result and the
// streamed pieces.
func generate(t *testing.T, e *Engine, dir string, edit func(*Request)) (Result, []string) {
	t.Helper()
	req := Request{ModelDir: dir, Messages: []chattemplate.Message{{Role: "user", Content: "hello world"}}, MaxNewTokens: 24}
	if edit != nil {
		edit(&req)
	}
	var pieces []string
	res, err := e.Generate(context.Background(), req, func(s string) error {
		pieces = append(pieces, s)
		return nil
	})
	require.NoError(t, err)
	return res, pieces
}

func TestStopStringsEndTheAnswerWithoutThemselves(t *testing.T) {
	dir := tinyChatModel(t)
	e := NewEngine(model.Options{}, 1)
	// Sampled, the random model's answer varies (greedy, it repeats one
	// token); the seed keeps it the same for every call.
	sampled := func(r *Request) { r.Sampling.RepetitionPenalty = 2 }
	full, _ := generate(t, e, dir, sampled)
	runes := []rune(full.Text)
	t.Logf("%q", full.Text)
	require.Greater(t, len(runes), 8, "the tiny model's answer is too short to cut: %q", full.Text)

	// A stop string of three characters from the middle of the answer:
	// with the byte-level tokenizer it spans three tokens or more.
	at := len(runes) / 2
	for strings.Index(full.Text, string(runes[at:at+3])) != len(string(runes[:at])) {
		at-- // an earlier copy of it would cut there instead
	}
	require.Positive(t, at, "the answer must not start with its middle: %q", full.Text)
	stop := string(runes[at : at+3])
	want := string(runes[:at])
	res, pieces := generate(t, e, dir, func(r *Request) { sampled(r); r.Stop = []string{"", "never in the answer", stop} })
	require.Equal(t, want, res.Text)
	require.Equal(t, "stop", res.FinishReason)
	require.Equal(t, want, strings.Join(pieces, ""), "the stop string's first characters must not have been streamed")
	require.Less(t, res.Tokens, full.Tokens)

	// The start of a stop string that never completes is held back while
	// it could, then streamed: the answer is whole.
	tail := string(runes[len(runes)-1:]) + "\x00never"
	res, pieces = generate(t, e, dir, func(r *Request) { sampled(r); r.Stop = []string{tail} })
	require.Equal(t, full.Text, res.Text)
	require.Equal(t, full.FinishReason, res.FinishReason)
	require.Equal(t, full.Text, strings.Join(pieces, ""))
}

func TestRepetitionPenaltyChangesTheAnswer(t *testing.T) {
	dir := tinyChatModel(t)
	e := NewEngine(model.Options{}, 1)
	plain, _ := generate(t, e, dir, nil)
	off, _ := generate(t, e, dir, func(r *Request) { r.Sampling.RepetitionPenalty = 1 })
	require.Equal(t, plain.Text, off.Text, "1 is off")
	penalized, _ := generate(t, e, dir, func(r *Request) { r.Sampling.RepetitionPenalty = 2 })
	require.NotEqual(t, plain.Text, penalized.Text)
}

func TestStopHelpers(t *testing.T) {
	stops := []string{"</s>", "END"}
	require.Equal(t, -1, firstStop("hello", stops))
	require.Equal(t, 2, firstStop("abEND</s>", stops))
	require.Equal(t, 0, stopPrefixLen("hello", stops))
	require.Equal(t, 3, stopPrefixLen("hello</s", stops))
	require.Equal(t, 2, stopPrefixLen("hello EN", stops))
	require.Equal(t, 0, stopPrefixLen("hello END", stops), "a whole stop string is found, not held")
	require.Equal(t, []string{"a"}, nonEmpty([]string{"", "a", ""}))
}

// A request's quantization loads the model as a QLoRA run trained it,
// as a model of its own beside the unquantized one; an unknown one is
// refused by name.
func TestGenerateWithAQuantizedModel(t *testing.T) {
	dir := tinyChatModel(t)
	e := NewEngine(model.Options{}, 2)
	req := Request{ModelDir: dir, Messages: []chattemplate.Message{{Role: "user", Content: "hello"}}, MaxNewTokens: 6}
	_, err := e.Generate(context.Background(), req, nil)
	require.NoError(t, err)
	req.Quantization = model.QuantNF4
	res, err := e.Generate(context.Background(), req, nil)
	require.NoError(t, err)
	require.Positive(t, res.Tokens)
	require.Len(t, e.loaded, 2)
	var quantized []string
	for _, l := range e.loaded {
		quantized = append(quantized, l.m.Quantization())
	}
	require.ElementsMatch(t, []string{model.QuantNone, model.QuantNF4}, quantized)
	req.Quantization = "nf3"
	_, err = e.Generate(context.Background(), req, nil)
	require.ErrorContains(t, err, `"nf3"`)
}

// TestWeights checks the answering precision: auto keeps a small model in
// float32, an explicit choice loads the model so (a model slot of its own)
// and the result says which was used; unknown names are refused.
func TestWeights(t *testing.T) {
	dir := tinyChatModel(t)
	e := NewEngine(model.Options{}, 2)
	req := Request{ModelDir: dir, Messages: []chattemplate.Message{{Role: "user", Content: "hello"}}, MaxNewTokens: 6}
	res, err := e.Generate(context.Background(), req, nil)
	require.NoError(t, err)
	require.Equal(t, WeightsFloat32, res.Weights, "a tiny model stays float32 under auto")

	req.Weights = WeightsInt8
	q, err := e.Generate(context.Background(), req, nil)
	require.NoError(t, err)
	require.Equal(t, WeightsInt8, q.Weights)
	require.Positive(t, q.Tokens)
	require.Len(t, e.loaded, 2, "int8 weights are a second loaded model")

	// Auto reads only config.json: a Gemma 3 270M-sized one answers in int8.
	big := t.TempDir()
	cfg, err := model.Preset("gemma3-270m")
	require.NoError(t, err)
	require.NoError(t, cfg.WriteHF(big))
	w, err := WeightsAuto.Resolve(big)
	require.NoError(t, err)
	require.Equal(t, WeightsInt8, w)

	w, err = ParseWeights("")
	require.NoError(t, err)
	require.Equal(t, WeightsAuto, w)
	_, err = ParseWeights("int4")
	require.ErrorContains(t, err, "int4")
}
