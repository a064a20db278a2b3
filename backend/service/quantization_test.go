package service

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// Chatting with a QLoRA run's adapter loads the base model quantized as
// the run trained it; a model chosen without a run loads as it is.
func TestChatWithAQLoRARunUsesItsQuantization(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	cfg, err := s.Runs.Defaults("gemma3")
	require.NoError(t, err)
	cfg.Model.Source, cfg.Model.Quantization, cfg.Dataset.Path = dir, "nf4", shareGPTFile(t, 20)
	cfg.Training.MaxSteps, cfg.Training.BatchSize, cfg.Training.GradAccum = 1, 2, 1
	cfg.Training.MaxSeqLen, cfg.Training.WarmupSteps, cfg.Dataset.ValFraction = 64, 0, 0
	started, err := s.Runs.Start(cfg)
	require.NoError(t, err)
	require.Equal(t, runs.Completed, waitRun(t, s, started.ID).State)

	msgs := []ChatMessage{{Role: "user", Content: "hi"}}
	_, creq, err := s.Chat.prepare(ChatRequest{RunID: started.ID, Messages: msgs, MaxNewTokens: 2})
	require.NoError(t, err)
	require.Equal(t, "nf4", creq.Quantization)
	require.NotEmpty(t, creq.AdapterDir)
	_, err = s.Chat.Generate(ChatRequest{RunID: started.ID, Messages: msgs, MaxNewTokens: 2})
	require.NoError(t, err)

	_, creq, err = s.Chat.prepare(ChatRequest{Model: dir, Messages: msgs, MaxNewTokens: 2})
	require.NoError(t, err)
	require.Empty(t, creq.Quantization)
}
