package service

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

func fieldsOf(list []runconfig.FieldError) map[string]string {
	out := map[string]string{}
	for _, f := range list {
		out[f.Field] = f.Message
	}
	return out
}

// The New run form's check lists every problem at once: paths, field
// errors, what the model and data reveal, and warnings; Start refuses
// the errors without making a run.
func TestCheckListsEveryProblemAtOnce(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	data := shareGPTFile(t, 150)
	missing := filepath.Join(t.TempDir(), "nope.jsonl")

	cfg := runconfig.Default()
	cfg.Model.Source, cfg.Dataset.Path, cfg.Dataset.ValPath = dir, data, missing
	cfg.Training.MaxSteps = 10_000_000
	cfg.Training.MaxSeqLen = 100_000 // the tiny model's context is 8,192
	cfg.LoRA.R = 0

	c, err := s.Runs.Check(cfg)
	require.NoError(t, err)
	errs := fieldsOf(c.Errors)
	require.Contains(t, errs, "lora.r")
	require.Contains(t, errs, "dataset.val_path")
	require.Contains(t, errs["training.max_seq_len"], "longer than the model's context of 8,192 positions")
	warns := fieldsOf(c.Warnings)
	// val_path is set, so all 150 rows train: 10M steps of 8 sequences.
	require.Contains(t, warns["training.max_steps"], "about 533,333 passes over the 150 training examples")
	require.Equal(t, 150, c.Steps.Examples)
	require.NotNil(t, c.Fit)
	require.Equal(t, "gemma3", c.Family)
	require.Positive(t, c.Fit.TotalMB)

	// Validate is the errors; Start refuses them all and makes no run.
	v, err := s.Runs.Validate(cfg)
	require.NoError(t, err)
	require.Equal(t, c.Errors, v)
	_, err = s.Runs.Start(cfg)
	var ce *ConfigError
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, c.Errors, ce.Fields)
	require.True(t, errors.Is(err, os.ErrNotExist), "the missing val_path is a cause: %v", err)
	list, err := s.Runs.List()
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestCheckEpochsOnlyStepsAndWarmup(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	cfg := runconfig.Default()
	cfg.Model.Source, cfg.Dataset.Path = dir, shareGPTFile(t, 150)
	cfg.Training.MaxSteps, cfg.Training.Epochs = 0, 2
	cfg.Training.MaxSeqLen = 64
	cfg.Training.WarmupSteps = 40

	c, err := s.Runs.Check(cfg)
	require.NoError(t, err)
	require.Empty(t, c.Errors)
	// 150 rows less 8 held out (5 %): 142 examples, 71 micro-batches of
	// 2 an epoch, 4 a step: ceil(2·71/4) = 36 steps.
	require.Equal(t, runconfig.StepPlan{Steps: 36, FromEpochs: true, Examples: 142, Epochs: 2, Exact: true}, c.Steps)
	require.Equal(t, []runconfig.FieldError{{Field: "training.warmup_steps",
		Message: "40 warmup steps with 36 steps in all: the learning rate never reaches its peak; use fewer than 36 (about a tenth is common)"}}, c.Warnings)

	cfg.Training.WarmupSteps = 3
	c, err = s.Runs.Check(cfg)
	require.NoError(t, err)
	require.Empty(t, c.Errors)
	require.Empty(t, c.Warnings)
}

// A hub id the hub does not know is refused before a run is made.
func TestCheckRefusesAnUnknownHubModel(t *testing.T) {
	hubSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(hubSrv.Close)
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	home := t.TempDir()
	env := map[string]string{"HF_ENDPOINT": hubSrv.URL, "HF_HOME": home}
	s, err := New(Deps{Workspace: ws, Events: &events.Recorder{}, Log: zerolog.Nop(), Version: "test",
		Getenv: func(k string) string { return env[k] }})
	require.NoError(t, err)
	t.Cleanup(s.Close)

	cfg := runconfig.Default()
	cfg.Model.Source, cfg.Dataset.Path = "nobody/no-such-model", shareGPTFile(t, 10)
	c, err := s.Runs.Check(cfg)
	require.NoError(t, err)
	require.Contains(t, fieldsOf(c.Errors), "model.source")
	_, err = s.Runs.Start(cfg)
	require.ErrorIs(t, err, hub.ErrNotFound)
	list, err := s.Runs.List()
	require.NoError(t, err)
	require.Empty(t, list)
}

// Checks made while the data is being counted share that count, and a
// changed file is counted again.
func TestCheckDataCountIsSharedAndRefreshed(t *testing.T) {
	s, _ := newServices(t)
	cfg := runconfig.Default()
	cfg.Dataset.Path = shareGPTFile(t, 40)
	cfg.Dataset.ValFraction = 0
	d := s.Runs.deps
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, err := d.countExamples(cfg)
			require.NoError(t, err)
			require.True(t, data.exact)
			require.Equal(t, dataset.FormatShareGPT, data.format)
			counts[i] = data.n
		}()
	}
	wg.Wait()
	for _, n := range counts {
		require.Equal(t, 40, n)
	}
	f, err := os.OpenFile(cfg.Dataset.Path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"hello"}]}` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	data, err := d.countExamples(cfg)
	require.NoError(t, err)
	require.Equal(t, 41, data.n)
}
