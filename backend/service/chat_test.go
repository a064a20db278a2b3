package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	} {
		_, err := s.Chat.Generate(c.req)
		require.ErrorContains(t, err, c.want)
	}
}
