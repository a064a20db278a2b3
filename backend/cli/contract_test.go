package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// windowServices builds the services as the desktop window does (not a
// terminal command's: they restore queued runs and run what is started).
func windowServices(t *testing.T) *service.Services {
	t.Helper()
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	s, err := service.New(service.Deps{Workspace: ws, Events: &events.Recorder{}, Log: zerolog.Nop(), Version: "test",
		Getenv: func(k string) string { return map[string]string{"HF_HUB_OFFLINE": "1"}[k] }})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// tinyRunConfig is a run of a tiny Gemma 3 model with a byte-level
// tokenizer on a small chat file, a few steps long.
func tinyRunConfig(t *testing.T) runconfig.Config {
	t.Helper()
	mc, err := model.Preset("tiny")
	require.NoError(t, err)
	m, err := model.NewRandom(mc, 1, model.Options{})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "tiny")
	require.NoError(t, m.SaveCheckpoint(dir))
	tokenizertest.ByteLevel(t, dir)
	var b strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, `{"conversations":[{"from":"human","value":"hello %d"},{"from":"gpt","value":"hello world %d"}]}`+"\n", i, i)
	}
	data := filepath.Join(t.TempDir(), "chats.jsonl")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	cfg, err := runconfig.ForFamily("gemma3")
	require.NoError(t, err)
	cfg.Model.Source, cfg.Dataset.Path = dir, data
	cfg.Training.MaxSteps, cfg.Training.BatchSize, cfg.Training.GradAccum = 4, 2, 1
	cfg.Training.MaxSeqLen, cfg.Training.WarmupSteps = 64, 1
	cfg.Dataset.ValFraction = 0.1
	return cfg
}

// The terminal is an adapter over the services the window calls: the same
// run config gives the same problems, all at once, and trains to the same
// losses, whichever face started it.
func TestTerminalAndWindowAgree(t *testing.T) {
	good := tinyRunConfig(t)
	cfgFile := func(cfg runconfig.Config) string {
		p := filepath.Join(t.TempDir(), "run.yaml")
		require.NoError(t, cfg.Save(p))
		return p
	}

	// A missing data file, a model folder without its tokenizer and a bad
	// LoRA rank: every problem, in the same words.
	bad := good
	bad.LoRA.R = 0
	bad.Dataset.Path = filepath.Join(t.TempDir(), "missing.jsonl")
	noTokenizer := filepath.Join(t.TempDir(), "notok")
	require.NoError(t, os.MkdirAll(noTokenizer, 0o755))
	for _, f := range []string{"config.json", "model.safetensors"} {
		data, err := os.ReadFile(filepath.Join(good.Model.Source, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(noTokenizer, f), data, 0o644))
	}
	bad.Model.Source = noTokenizer

	window := windowServices(t)
	problems, err := window.Runs.Validate(bad)
	require.NoError(t, err)
	fields := map[string]bool{}
	for _, p := range problems {
		fields[p.Field] = true
	}
	require.Equal(t, map[string]bool{"lora.r": true, "dataset.path": true, "model.source": true}, fields, "%v", problems)
	_, startErr := window.Runs.Start(bad)
	require.Error(t, startErr)

	ws := t.TempDir()
	out, cliErr := runCLI(t, ws, "train", "--config", cfgFile(bad))
	require.Error(t, cliErr, out)
	require.True(t, errors.Is(cliErr, ErrUsage), "a bad rank is a usage error: %v", cliErr)
	for _, p := range problems {
		require.Contains(t, cliErr.Error(), p.Error())
	}
	require.Equal(t, ErrUsage.Error()+": "+startErr.Error(), cliErr.Error())
	require.ErrorIs(t, cliErr, os.ErrNotExist)
	for _, s := range []*service.Services{window} {
		list, err := s.Runs.List()
		require.NoError(t, err)
		require.Empty(t, list)
	}
	store, err := runs.Open(filepath.Join(ws, "runs"))
	require.NoError(t, err)
	list, err := store.List()
	require.NoError(t, err)
	require.Empty(t, list, "the terminal made no run either")

	// A valid config trains to the same losses through both.
	started, err := window.Runs.Start(good)
	require.NoError(t, err)
	require.NoError(t, window.WaitRun(context.Background(), started.ID))
	d, err := window.Runs.Get(started.ID)
	require.NoError(t, err)
	require.Equal(t, runs.Completed, d.Record.State, d.Record.Error)
	want, err := window.Runs.Metrics(started.ID)
	require.NoError(t, err)

	out, err = runCLI(t, ws, "train", "--config", cfgFile(good))
	require.NoError(t, err, out)
	list, err = store.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	got, err := store.Metrics(list[0].ID)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Step, got[i].Step)
		require.InDelta(t, want[i].Loss, got[i].Loss, 1e-6, "loss at step %d", want[i].Step)
	}
	require.InDelta(t, *d.Record.ValLoss, *list[0].ValLoss, 1e-6)
}

// Wherever the terminal takes a run it takes an id, the start of one or a
// run's name; a start that fits several runs lists them.
func TestRunReferencesInTheTerminal(t *testing.T) {
	ws := t.TempDir()
	store, err := runs.Open(filepath.Join(ws, "runs"))
	require.NoError(t, err)
	cfg := runconfig.Default()
	cfg.Model.Source, cfg.Dataset.Path = "org/model", "org/data"
	cfg.Name = "alpha"
	a, err := store.Create(cfg)
	require.NoError(t, err)
	cfg.Name = "beta"
	b, err := store.Create(cfg)
	require.NoError(t, err)

	out, err := runCLI(t, ws, "runs", "show", "alpha", "--yaml")
	require.NoError(t, err, out)
	require.True(t, strings.HasPrefix(out, "name: alpha\n"), out)
	out, err = runCLI(t, ws, "runs", "show", b.ID[:len(b.ID)-1])
	require.NoError(t, err, out)
	require.Contains(t, out, "run "+b.ID)

	_, err = runCLI(t, ws, "runs", "show", a.ID[:4])
	require.True(t, errors.Is(err, ErrUsage), "%v", err)
	require.ErrorContains(t, err, a.ID+" (alpha)")
	require.ErrorContains(t, err, b.ID+" (beta)")
	_, err = runCLI(t, ws, "export", "--run", a.ID[:4], "--format", "peft")
	require.True(t, errors.Is(err, ErrUsage), "%v", err)
	require.ErrorContains(t, err, "matches 2 runs")
	_, err = runCLI(t, ws, "train", "--resume", "gamma")
	require.ErrorIs(t, err, runs.ErrNotFound)

	out, err = runCLI(t, ws, "runs", "duplicate", "beta")
	require.NoError(t, err, out)
	require.Contains(t, out, "created run ")
	out, err = runCLI(t, ws, "runs", "delete", "alpha")
	require.NoError(t, err, out)
	require.Equal(t, "deleted run "+a.ID+"\n", out)
	list, err := store.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, r := range list {
		require.Equal(t, runs.Queued, r.State, "a duplicate made in a terminal waits for the app or train --resume")
	}
}
