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
	require.ErrorContains(t, err, "tokenizer")

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
