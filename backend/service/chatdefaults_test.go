package service

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/model"
)

func TestChatDefaultsFollowTheModelsGenerationConfig(t *testing.T) {
	s, _ := newServices(t)

	// The demo model asks for greedy decoding.
	setup, err := s.Runs.Demo("")
	require.NoError(t, err)
	d, err := s.Chat.Defaults(ChatModel{Model: setup.ModelDir})
	require.NoError(t, err)
	require.Equal(t, SamplingDefaults{Found: true, AutoWeights: chat.WeightsFloat32}, d, "a tiny model answers in float32 under auto")

	// A sampling model's settings, out-of-range ones clamped to the limits;
	// without a config.json, auto is not known before an answer.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "generation_config.json"),
		[]byte(`{"do_sample": true, "temperature": 0.6, "top_p": 0.9, "top_k": 20, "repetition_penalty": 7}`), 0o644))
	d, err = s.Chat.Defaults(ChatModel{Model: dir})
	require.NoError(t, err)
	require.Equal(t, SamplingDefaults{Found: true, Temperature: 0.6, TopP: 0.9, TopK: 20, RepetitionPenalty: SamplingLimits["repetition_penalty"].Max}, d)

	// do_sample without a temperature samples at 1, as transformers does.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"do_sample": true, "top_k": 64, "top_p": 0.95}`), 0o644))
	d, err = s.Chat.Defaults(ChatModel{Model: dir})
	require.NoError(t, err)
	require.Equal(t, SamplingDefaults{Found: true, Temperature: 1, TopP: 0.95, TopK: 64}, d)

	// Without the file there is nothing to recommend, but auto's weights
	// are known from config.json alone: a Gemma 3 270M-sized model's are int8.
	d, err = s.Chat.Defaults(ChatModel{Model: tinyModelDir(t)})
	require.NoError(t, err)
	require.False(t, d.Found)
	require.Equal(t, chat.WeightsFloat32, d.AutoWeights)
	big := t.TempDir()
	cfg, err := model.Preset("gemma3-270m")
	require.NoError(t, err)
	require.NoError(t, cfg.WriteHF(big))
	d, err = s.Chat.Defaults(ChatModel{Model: big})
	require.NoError(t, err)
	require.Equal(t, SamplingDefaults{AutoWeights: chat.WeightsInt8}, d)

	_, err = s.Chat.Defaults(ChatModel{RunID: "nope"})
	require.Error(t, err)
}
