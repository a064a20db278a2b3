package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func TestChatStreamsTokensThenDone(t *testing.T) {
	s, rec := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	st, err := s.Chat.Generate(ChatRequest{Model: dir, Messages: []ChatMessage{{Role: "user", Content: "hello"}}, MaxNewTokens: 6})
	require.NoError(t, err)
	require.NotEmpty(t, st.StreamID)

	var tokens []ChatToken
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		tokens = tokens[:0]
		done := false
		for _, e := range rec.Events() {
			if tok, ok := e.Payload.(ChatToken); ok && e.Topic == ChatTopic && tok.StreamID == st.StreamID {
				tokens = append(tokens, tok)
				done = done || tok.Done
			}
		}
		if done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NotEmpty(t, tokens)
	last := tokens[len(tokens)-1]
	require.True(t, last.Done, "the stream must end with a done event")
	require.Empty(t, last.Error)
	require.Positive(t, last.Tokens)
	require.Equal(t, chat.WeightsFloat32, last.Weights, "the last event says what auto chose for a tiny model")
}

func TestChatBadRequests(t *testing.T) {
	s, _ := newServices(t)
	_, err := s.Chat.Generate(ChatRequest{Model: "x"})
	require.ErrorContains(t, err, "conversation is empty")
	_, err = s.Chat.Generate(ChatRequest{RunID: "20260101-000000-abcdef", Messages: []ChatMessage{{Role: "user", Content: "hi"}}})
	require.Error(t, err)
	require.ErrorContains(t, s.Chat.Cancel("nope"), "nope")

	// Values the sampler would silently reinterpret, and roles no
	// template can place, are refused before a stream starts.
	hi := []ChatMessage{{Role: "user", Content: "hi"}}
	for _, c := range []struct {
		req  ChatRequest
		want string
	}{
		{ChatRequest{Model: "x", Messages: []ChatMessage{{Role: "robot", Content: "hi"}}}, `messages[0].role: "robot"`},
		{ChatRequest{Model: "x", Messages: hi, Temperature: -1}, "temperature"},
		{ChatRequest{Model: "x", Messages: hi, TopP: 7}, "top_p"},
		{ChatRequest{Model: "x", Messages: hi, MinP: -0.1}, "min_p"},
		{ChatRequest{Model: "x", Messages: hi, TopK: -3}, "top_k"},
		{ChatRequest{Model: "x", Messages: hi, RepetitionPenalty: -1}, "repetition_penalty"},
		{ChatRequest{Model: "x", Messages: hi, MaxNewTokens: -5}, "max_new_tokens"},
		{ChatRequest{Model: "x", Messages: hi, RepetitionPenalty: 2.5}, "repetition_penalty: must be between 0 and 2"},
		{ChatRequest{Model: "x", Messages: hi, Stop: []string{"a", "b", "c", "d", "e"}}, "stop: 5 strings, more than 4"},
		{ChatRequest{Model: "x", Messages: hi, Stop: []string{"a", ""}}, "stop[1]: an empty stop string"},
		{ChatRequest{Model: "x", Messages: hi, Stop: []string{strings.Repeat("é", MaxStopChars+1)}}, "stop[0]: 65 characters, more than 64"},
		{ChatRequest{Model: "x", Messages: hi, Weights: "int4"}, `weights: "int4" is not one of auto, float32, bfloat16, int8`},
	} {
		_, err := s.Chat.Generate(c.req)
		require.ErrorContains(t, err, c.want)
		require.ErrorIs(t, err, ErrInvalidRequest, c.want)
		_, err = s.Complete(context.Background(), c.req, nil)
		require.ErrorContains(t, err, c.want, "Complete checks as Generate does")
	}
	// The bounds reach the Chat screen through the contract's table.
	require.Equal(t, float64(MaxStopStrings), SamplingLimits["stop"].Max)
	require.Equal(t, MaxStopChars, SamplingLimits["stop"].MaxChars)
}

// complete answers "hello" with the tiny model, returning the answer and
// the streamed pieces.
func complete(t *testing.T, s *Services, dir string, edit func(*ChatRequest)) (Completion, []string) {
	t.Helper()
	req := ChatRequest{Model: dir, Messages: []ChatMessage{{Role: "user", Content: "hello"}}, MaxNewTokens: 24, RepetitionPenalty: 2}
	if edit != nil {
		edit(&req)
	}
	var pieces []string
	out, err := s.Complete(context.Background(), req, func(p string) error {
		pieces = append(pieces, p)
		return nil
	})
	require.NoError(t, err)
	return out, pieces
}

func TestCompleteStopsAtAStopString(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	full, _ := complete(t, s, dir, nil)
	runes := []rune(full.Text)
	require.Greater(t, len(runes), 6, "the tiny model's answer is too short to cut: %q", full.Text)
	at := len(runes) / 2
	for strings.Index(full.Text, string(runes[at:at+2])) != len(string(runes[:at])) {
		at--
	}
	require.Positive(t, at, "the answer must not start with its middle: %q", full.Text)
	want := string(runes[:at])
	out, pieces := complete(t, s, dir, func(r *ChatRequest) { r.Stop = []string{string(runes[at : at+2])} })
	require.Equal(t, want, out.Text)
	require.Equal(t, "stop", out.FinishReason)
	require.Equal(t, want, strings.Join(pieces, ""))
	require.Positive(t, out.PromptTokens)
}

func TestCompleteAppliesTheRepetitionPenalty(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	plain, _ := complete(t, s, dir, func(r *ChatRequest) { r.RepetitionPenalty = 0 })
	off, _ := complete(t, s, dir, func(r *ChatRequest) { r.RepetitionPenalty = 1 })
	require.Equal(t, plain.Text, off.Text, "1 is off, as 0 is")
	penalized, _ := complete(t, s, dir, func(r *ChatRequest) { r.RepetitionPenalty = 2 })
	require.NotEqual(t, plain.Text, penalized.Text)
}

// TestCompleteKeepsTheWeightsAsAsked: the request's weights reach the
// engine, and the answer says which were used.
func TestCompleteKeepsTheWeightsAsAsked(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	auto, _ := complete(t, s, dir, func(r *ChatRequest) { r.MaxNewTokens = 4 })
	require.Equal(t, chat.WeightsFloat32, auto.Weights, "auto keeps a tiny model in float32")
	for _, w := range []chat.Weights{chat.WeightsBFloat16, chat.WeightsInt8} {
		out, _ := complete(t, s, dir, func(r *ChatRequest) { r.MaxNewTokens, r.Weights = 4, w })
		require.Equal(t, w, out.Weights)
		require.Positive(t, out.Tokens)
	}
}

func TestCompleteStopsWhenTheCallerGoesAway(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := s.Complete(ctx, ChatRequest{Model: dir, Messages: []ChatMessage{{Role: "user", Content: "hello"}}, MaxNewTokens: 50, RepetitionPenalty: 2},
		func(string) error {
			n++
			cancel()
			return nil
		})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1, n)
	require.Empty(t, s.Chat.streams.cancel, "the answer no longer counts against MaxChatStreams")
}
