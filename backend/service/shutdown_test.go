package service

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// TestShutdownPausesTheRunWithACheckpoint stops the services the way a
// signal to `serve` or closing the window does: the app's context is
// cancelled first, then Close. The run must be paused with a checkpoint
// (none is written periodically here) and, resumed by a new process,
// finish with the losses of an uninterrupted run.
func TestShutdownPausesTheRunWithACheckpoint(t *testing.T) {
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	data := shareGPTFile(t, 40)
	const steps = 40

	open := func(root string, ctx context.Context) (*Services, *events.Recorder) {
		ws, err := workspace.Open(root)
		require.NoError(t, err)
		rec := &events.Recorder{}
		s, err := New(Deps{Workspace: ws, Events: rec, Log: zerolog.Nop(), Version: "test", Context: ctx})
		require.NoError(t, err)
		return s, rec
	}
	baseline, _ := open(t.TempDir(), context.Background())
	defer baseline.Close()
	c, err := baseline.Runs.Defaults("gemma3")
	require.NoError(t, err)
	c.Model.Source, c.Dataset.Path = dir, data
	c.Training.MaxSteps, c.Training.BatchSize, c.Training.GradAccum = steps, 2, 1
	c.Training.MaxSeqLen, c.Training.WarmupSteps = 64, 1
	c.Checkpoint.Every = 0
	ref, err := baseline.Runs.Start(c)
	require.NoError(t, err)
	require.Equal(t, runs.Completed, waitRun(t, baseline, ref.ID).State)
	want, err := baseline.Runs.Metrics(ref.ID)
	require.NoError(t, err)

	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s, _ := open(root, ctx)
	started, err := s.Runs.Start(c)
	require.NoError(t, err)
	waitStep(t, s, started.ID, 2)
	cancel() // the signal
	s.Close()
	rec, err := s.Runs.Get(started.ID)
	require.NoError(t, err)
	require.Equal(t, runs.Paused, rec.Record.State, rec.Record.Error)
	require.Less(t, rec.Record.Step, steps)

	again, _ := open(root, context.Background())
	defer again.Close()
	require.NoError(t, again.Runs.Resume(started.ID))
	final := waitRun(t, again, started.ID)
	require.Equal(t, runs.Completed, final.State, final.Error)
	got, err := again.Runs.Metrics(started.ID)
	require.NoError(t, err)
	require.Len(t, got, steps)
	for i := range want {
		require.InDelta(t, want[i].Loss, got[i].Loss, 1e-6, "step %d", i+1)
	}
}

func waitStep(t *testing.T, s *Services, id string, step int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		d, err := s.Runs.Get(id)
		require.NoError(t, err)
		if d.Record.Step >= step {
			return
		}
		require.False(t, d.Record.State.Finished(), "run %s ended before step %d: %s", id, step, d.Record.State)
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("run %s did not reach step %d", id, step)
}
