package service

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseConfigReadsWhatTrainReads(t *testing.T) {
	s, _ := newServices(t)
	out, err := s.Runs.ParseConfig("name: imported\nmodel:\n  source: /models/x\ntraining:\n  learning_rate: 1.0e-4\n  max_steps: 7\nlora:\n  r: 0\n")
	require.NoError(t, err)
	require.Equal(t, "imported", out.Config.Name)
	require.Equal(t, 1e-4, out.Config.Training.LearningRate)
	require.Equal(t, 7, out.Config.Training.MaxSteps)
	require.Equal(t, 2, out.Config.Training.BatchSize, "missing fields keep their defaults")
	require.Equal(t, "lora.r", out.Errors[0].Field)

	_, err = s.Runs.ParseConfig("training:\n  learning_rte: 1\n")
	require.True(t, errors.Is(err, ErrInvalidRequest), "%v", err)
	require.ErrorContains(t, err, "learning_rte")
	require.ErrorContains(t, err, "line 2")

	_, err = s.Runs.ParseConfig(strings.Repeat("#", maxConfigText+1))
	require.True(t, errors.Is(err, ErrInvalidRequest), "%v", err)
}
