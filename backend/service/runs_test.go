package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func waitRun(t *testing.T, s *Services, id string) runs.Record {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		d, err := s.Runs.Get(id)
		require.NoError(t, err)
		if d.Record.State.Finished() {
			return d.Record
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("run %s did not finish", id)
	return runs.Record{}
}

// TestRunTrainChatExport walks the whole workflow through the services, as
// the UI does: start a run, watch it finish, chat with it, export it.
func TestRunTrainChatExport(t *testing.T) {
	s, rec := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	data := shareGPTFile(t, 40)

	cfg, err := s.Runs.Defaults("gemma3")
	require.NoError(t, err)
	cfg.Model.Source, cfg.Dataset.Path = dir, data
	cfg.Training.MaxSteps, cfg.Training.BatchSize, cfg.Training.GradAccum = 4, 2, 1
	cfg.Training.MaxSeqLen, cfg.Training.WarmupSteps = 64, 1
	cfg.Dataset.ValFraction = 0.1
	cfg.Checkpoint.Every = 2

	problems, err := s.Runs.Validate(cfg)
	require.NoError(t, err)
	require.Empty(t, problems)
	rendered, err := s.Runs.Render(cfg)
	require.NoError(t, err)
	require.Contains(t, rendered.YAML, "max_steps: 4")
	require.Contains(t, rendered.CLI, "whetstone train")

	started, err := s.Runs.Start(cfg)
	require.NoError(t, err)
	final := waitRun(t, s, started.ID)
	require.Equal(t, runs.Completed, final.State, final.Error)
	metrics, err := s.Runs.Metrics(started.ID)
	require.NoError(t, err)
	require.Len(t, metrics, 4)
	logLines, err := s.Runs.Log(started.ID, 5)
	require.NoError(t, err)
	require.NotEmpty(t, logLines)
	require.LessOrEqual(t, len(logLines), 5)
	topics := map[string]int{}
	for _, e := range rec.Events() {
		topics[e.Topic]++
	}
	require.Positive(t, topics["run.metrics"])
	require.Positive(t, topics["run.state"])

	detail, err := s.Runs.Get(started.ID)
	require.NoError(t, err)
	require.True(t, detail.HasAdapter)

	stream, err := s.Chat.Generate(ChatRequest{RunID: started.ID, Messages: []ChatMessage{{Role: "user", Content: "hello"}}, MaxNewTokens: 4})
	require.NoError(t, err)
	require.NotEmpty(t, stream.StreamID)

	res, err := s.Export.Start(ExportRequest{RunID: started.ID, Format: "peft"})
	require.NoError(t, err)
	require.Len(t, res.Files, 2)

	list, err := s.Runs.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestRunsRejectBadConfigs(t *testing.T) {
	s, _ := newServices(t)
	cfg := runconfig.Default()
	cfg.LoRA.R = 0
	problems, err := s.Runs.Validate(cfg)
	require.NoError(t, err)
	require.NotEmpty(t, problems)
	fields := map[string]bool{}
	for _, p := range problems {
		fields[p.Field] = true
	}
	require.True(t, fields["lora.r"], "%v", problems)
	_, err = s.Runs.Start(cfg)
	require.Error(t, err)
	_, err = s.Runs.Get("../etc")
	require.Error(t, err)
	_, err = s.Runs.Defaults("gpt2")
	require.Error(t, err)
	presets, err := s.Runs.Presets()
	require.NoError(t, err)
	require.Len(t, presets, 3)
}
