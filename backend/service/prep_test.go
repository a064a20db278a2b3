package service

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

// A run reports its preparation before the first step, in order, with
// the rows tokenized of the total; Runs.Prep has the latest report.
func TestRunReportsPreparation(t *testing.T) {
	s, rec := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	cfg, err := s.Runs.Defaults("gemma3")
	require.NoError(t, err)
	cfg.Model.Source, cfg.Dataset.Path = dir, shareGPTFile(t, 40)
	cfg.Training.MaxSteps, cfg.Training.BatchSize, cfg.Training.GradAccum = 1, 2, 1
	cfg.Training.MaxSeqLen, cfg.Training.WarmupSteps = 64, 0
	started, err := s.Runs.Start(cfg)
	require.NoError(t, err)
	require.Equal(t, runs.Completed, waitRun(t, s, started.ID).State)

	var stages []executor.PrepStage
	var tokenized []PrepEvent
	for _, e := range rec.Events() {
		if e.Topic != PrepTopic {
			continue
		}
		p := e.Payload.(PrepEvent)
		require.Equal(t, started.ID, p.ID)
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
		if p.Stage == executor.PrepTokenizing {
			tokenized = append(tokenized, p)
		}
	}
	require.Equal(t, executor.PrepStages, stages)
	last := tokenized[len(tokenized)-1]
	require.Equal(t, 40, last.Total)
	require.Equal(t, 40, last.Done)
	require.Equal(t, "tokenized 40 of 40 rows", last.Note)

	p, err := s.Runs.Prep(started.ID)
	require.NoError(t, err)
	require.Equal(t, executor.PrepCompiling, p.Stage)
}
