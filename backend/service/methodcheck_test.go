package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// pairsFile writes n preference pairs in TRL's explicit-prompt layout.
func pairsFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"prompt":"question %d","chosen":"a helpful answer %d","rejected":"go away %d"}`+"\n", i, i, i)
	}
	p := filepath.Join(t.TempDir(), "pairs.jsonl")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// The check says, before Start and next to training.method, when the
// method and the data do not go together, with the fix; a preference
// method on pairs counts pairs as its examples, exactly (pairs are never
// packed); continued pretraining's example count is unknown before
// tokenizing.
func TestCheckMethodAgainstTheData(t *testing.T) {
	s, _ := newServices(t)
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	pairs, chats := pairsFile(t, 40), shareGPTFile(t, 40)
	text := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("Tide-glass is green when it is thin.\n"), 0o644))

	check := func(method, data string, edit ...func(*runconfig.Config)) RunCheck {
		t.Helper()
		cfg := runconfig.Default()
		cfg.Model.Source, cfg.Dataset.Path = dir, data
		cfg.Training.Method = method
		cfg.Training.MaxSteps, cfg.Training.Epochs = 0, 1
		cfg.Dataset.ValFraction = 0.1
		for _, e := range edit {
			e(&cfg)
		}
		c, err := s.Runs.Check(cfg)
		require.NoError(t, err)
		return c
	}

	c := check(runconfig.MethodDPO, pairs, func(c *runconfig.Config) { c.Training.Packing = true })
	require.Empty(t, c.Errors)
	// 40 pairs less 4 held out: 36 pairs, 18 micro-batches of 2 pairs,
	// 5 steps of 4 micro-batches, exactly.
	require.Equal(t, runconfig.StepPlan{Steps: 5, FromEpochs: true, Examples: 36, Epochs: 1, Exact: true}, c.Steps)

	c = check(runconfig.MethodDPO, chats)
	msg := fieldsOf(c.Errors)["training.method"]
	require.Contains(t, msg, "dpo trains on preference pairs, but "+chats+" reads as sharegpt rows without chosen and rejected answers")
	require.Contains(t, msg, "set dataset.format to preference with a mapping")
	require.Contains(t, fieldsOf(check(runconfig.MethodORPO, text).Errors)["training.method"], "reads as text rows")

	for _, m := range []string{runconfig.MethodSFT, runconfig.MethodCPT} {
		c = check(m, pairs)
		require.Equal(t, m+" cannot train on preference pairs, and "+pairs+" holds them (chosen and rejected answers): set training.method to dpo or orpo",
			fieldsOf(c.Errors)["training.method"])
	}
	// Start refuses what the check reports, naming the field.
	cfg := runconfig.Default()
	cfg.Model.Source, cfg.Dataset.Path = dir, pairs
	_, err := s.Runs.Start(cfg)
	var ce *ConfigError
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Contains(t, fieldsOf(ce.Fields), "training.method")

	// One text file is one row, but continued pretraining cuts it into
	// max_seq_len pieces: a batch larger than the rows is no error, and
	// the steps of an epochs-only run are not known yet.
	c = check(runconfig.MethodCPT, text, func(c *runconfig.Config) { c.Dataset.ValFraction, c.Training.BatchSize = 0, 8 })
	require.Empty(t, c.Errors)
	require.Equal(t, 0, c.Steps.Examples)
	require.Equal(t, 0, c.Steps.Steps)
	// SFT on text trains too (every token, as raw text always is).
	require.Empty(t, check(runconfig.MethodSFT, text, func(c *runconfig.Config) { c.Dataset.ValFraction, c.Training.BatchSize = 0, 1 }).Errors)
}
