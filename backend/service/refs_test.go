package service

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/hub/hubtest"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// A run is named by its id, by its name, or by the start of its id when
// only one run has it; a reference that fits several runs names them.
func TestRunReferences(t *testing.T) {
	s, _ := newServices(t)
	store, _, err := s.Runs.b.get()
	require.NoError(t, err)
	cfg := runconfig.Default()
	cfg.Model.Source, cfg.Dataset.Path = "org/model", "org/data"
	cfg.Name = "first"
	a, err := store.Create(cfg)
	require.NoError(t, err)
	cfg.Name = "second"
	b, err := store.Create(cfg)
	require.NoError(t, err)

	for ref, want := range map[string]string{a.ID: a.ID, "first": a.ID, "second": b.ID, b.ID[:len(b.ID)-1]: b.ID} {
		d, err := s.Runs.Get(ref)
		require.NoError(t, err, ref)
		require.Equal(t, want, d.Record.ID, ref)
	}
	common := a.ID[:4] // both were made this year
	_, err = s.Runs.Get(common)
	require.ErrorIs(t, err, ErrInvalidRequest)
	require.ErrorContains(t, err, "matches 2 runs")
	require.ErrorContains(t, err, a.ID+" (first)")
	require.ErrorContains(t, err, b.ID+" (second)")
	for _, ref := range []string{"third", "../etc", "19990101-000000-abcdef"} {
		_, err = s.Runs.Get(ref)
		require.ErrorIs(t, err, runs.ErrNotFound, ref)
		require.ErrorContains(t, err, ref)
	}
	_, err = s.Runs.Get("")
	require.ErrorIs(t, err, ErrInvalidRequest)

	// Every method resolves the same way.
	require.NoError(t, s.Runs.Delete("first"))
	list, err := s.Runs.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, b.ID, list[0].ID)
}

// Validate (the New run form) and Start (its button, and `whetstone
// train`) report every problem of a config at once, each on its field:
// its own values and what it names on disk.
func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	s, _ := newServices(t)
	noTokenizer := tinyModelDir(t) // weights and config, no tokenizer
	theirs := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(theirs, "notes.txt"), []byte("keep"), 0o644))

	cfg := runconfig.Default()
	cfg.LoRA.R = 0
	cfg.Model.Source = noTokenizer
	cfg.Dataset.Path = "missing-chats.jsonl"
	cfg.Dataset.ValPath = filepath.Join(t.TempDir(), "val.jsonl")
	cfg.Output = theirs
	problems, err := s.Runs.Validate(cfg)
	require.NoError(t, err)
	byField := map[string]string{}
	for _, p := range problems {
		byField[p.Field] = p.Message
	}
	require.Contains(t, byField, "lora.r")
	require.Contains(t, byField["model.source"], "has no tokenizer")
	require.Contains(t, byField["dataset.path"], "missing-chats.jsonl")
	require.Contains(t, byField["dataset.val_path"], "val.jsonl")
	require.Contains(t, byField["output"], "never replaced")

	_, err = s.Runs.Start(cfg)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, problems, ce.Fields)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorIs(t, err, safefile.ErrNotOwned)
	var ve *runconfig.ValidationError
	require.ErrorAs(t, err, &ve, "the config's own values are wrong too")
	for _, p := range problems {
		require.Contains(t, err.Error(), p.Error())
	}
	list, err := s.Runs.List()
	require.NoError(t, err)
	require.Empty(t, list, "a refused config makes no run")

	// Only disk problems: no ValidationError, so a terminal does not call
	// it a usage error.
	cfg.LoRA.R, cfg.Output, cfg.Dataset.ValPath = 8, "", ""
	_, err = s.Runs.Start(cfg)
	require.ErrorAs(t, err, &ce)
	require.False(t, strings.Contains(err.Error(), "lora.r"))
	require.NotErrorAs(t, err, &ve)

	// A hub id passes (the run downloads it); two revisions do not.
	cfg.Model.Source, cfg.Dataset.Path = "org/model@v1", "org/data"
	cfg.Model.Revision = "v2"
	problems, err = s.Runs.Validate(cfg)
	require.NoError(t, err)
	require.Len(t, problems, 1)
	require.Equal(t, "model.revision", problems[0].Field)
	cfg.Model.Revision = "v1"
	problems, err = s.Runs.Validate(cfg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// A run of a hub model at a revision (model.revision) trains, chats and
// exports that revision: the hub's main branch here has no weights, so
// anything that ignored the revision would fail.
func TestRunOfARevisionChatsAndExportsThatRevision(t *testing.T) {
	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	files := map[string]hubtest.File{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = hubtest.File{Content: data, LFS: strings.HasSuffix(e.Name(), ".safetensors")}
	}
	const mainCommit, v1Commit = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	h := hubtest.New(t)
	repo := h.AddRepo("model", "acme/tiny", mainCommit, map[string]hubtest.File{"config.json": files["config.json"]})
	repo.Commits[v1Commit] = files
	repo.Refs["v1"] = v1Commit

	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	cache := t.TempDir()
	rec := &events.Recorder{}
	s, err := New(Deps{Workspace: ws, Events: rec, Log: zerolog.Nop(), Getenv: func(k string) string {
		return map[string]string{"HF_ENDPOINT": h.URL(), "HF_HUB_CACHE": cache}[k]
	}})
	require.NoError(t, err)
	defer s.Close()

	cfg, err := s.Runs.Defaults("gemma3")
	require.NoError(t, err)
	cfg.Model.Source, cfg.Model.Revision, cfg.Dataset.Path = "acme/tiny", "v1", shareGPTFile(t, 20)
	cfg.Training.MaxSteps, cfg.Training.BatchSize, cfg.Training.GradAccum, cfg.Training.MaxSeqLen = 2, 2, 1, 64
	cfg.Dataset.ValFraction = 0
	started, err := s.Runs.Start(cfg)
	require.NoError(t, err)
	require.NoError(t, s.WaitRun(context.Background(), started.ID))
	d, err := s.Runs.Get(started.ID)
	require.NoError(t, err)
	require.Equal(t, runs.Completed, d.Record.State, d.Record.Error)

	_, err = s.Chat.Generate(ChatRequest{RunID: started.ID, Messages: []ChatMessage{{Role: "user", Content: "hi"}}, MaxNewTokens: 2})
	require.NoError(t, err)
	res, err := s.Export.Start(ExportRequest{RunID: started.ID, Format: "merged", Quant: "f32"})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(ws.ExportsDir(), started.ID+"-merged-f32"), res.OutDir)
	peft, err := s.Export.Start(ExportRequest{RunID: started.ID, Format: "peft"})
	require.NoError(t, err)
	require.Contains(t, peft.Commands["transformers"], `from_pretrained("acme/tiny", revision="v1")`)

	// Without the revision the same model is refused: main has no weights.
	_, err = s.Export.Start(ExportRequest{Model: "acme/tiny", Format: "merged", Quant: "f32"})
	require.ErrorContains(t, err, "safetensors")
	_, err = s.Export.Start(ExportRequest{Model: "acme/tiny@v1", Format: "merged", Quant: "f32", Out: filepath.Join(t.TempDir(), "m")})
	require.NoError(t, err)
}

// Export checks what it was asked before it reads anything, and names the
// field: these are invalid requests, which a terminal reports as usage
// errors.
func TestExportRequestsAreCheckedFirst(t *testing.T) {
	s, _ := newServices(t)
	for _, req := range []ExportRequest{
		{Format: "gguf"},
		{RunID: "x", Model: "y", Format: "gguf"},
		{Model: "y", Format: "onnx"},
		{Model: "y", Format: "peft"},
		{RunID: "x", Adapter: "a", Format: "gguf"},
		{RunID: "x", Format: "gguf", Quant: "q3"},
		{RunID: "x", Format: "peft", Quant: "f16"},
	} {
		_, err := s.Export.Start(req)
		require.ErrorIs(t, err, ErrInvalidRequest, "%+v", req)
	}
	_, err := s.Export.Start(ExportRequest{RunID: "20260101-000000-abcdef", Format: "gguf"})
	require.ErrorIs(t, err, runs.ErrNotFound)
	require.NotErrorIs(t, err, ErrInvalidRequest)
}
