package service

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

func tinyModelDir(t *testing.T) string {
	t.Helper()
	cfg, err := model.Preset("tiny")
	require.NoError(t, err)
	m, err := model.NewRandom(cfg, 1, model.Options{})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, m.SaveCheckpoint(dir))
	return dir
}

func TestModelsInspectAndEstimate(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	info, err := s.Models.Inspect(dir)
	require.NoError(t, err)
	require.Equal(t, "gemma3", info.Architecture)
	require.Equal(t, "gemma3", info.Family)
	require.Equal(t, 2, info.Layers)
	require.Equal(t, 512, info.VocabSize)
	require.True(t, info.HasWeights)
	require.Positive(t, info.Params)

	cfg := runconfig.Default()
	cfg.Training.MaxSeqLen = 64
	est, err := s.Models.EstimateMemory(dir, cfg)
	require.NoError(t, err)
	require.Positive(t, est.TotalMB)
	require.Positive(t, est.LoRAParams)
}

func TestModelsInspectBadInput(t *testing.T) {
	s, _ := newServices(t)
	_, err := s.Models.Inspect("")
	require.ErrorContains(t, err, "no model given")

	empty := t.TempDir()
	_, err = s.Models.Inspect(empty)
	require.ErrorContains(t, err, "config.json")

	broken := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(broken, "config.json"), []byte(`{"model_type": "gemma3_text", "hidden_size": `), 0o644))
	_, err = s.Models.Inspect(broken)
	require.ErrorContains(t, err, "config.json")

	_, err = s.Models.Inspect("./definitely/not/here")
	require.Error(t, err)
}
