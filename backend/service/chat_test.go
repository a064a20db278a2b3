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
}
