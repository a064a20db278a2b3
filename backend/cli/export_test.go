package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

func exportEnv(ws string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "WHETSTONE_HOME" {
			return ws
		}
		return ""
	}}, &out, &errb
}

// TestExportCommandFromRun drives `whetstone export --run` end to end: a
// run whose config names a local base model and whose adapter/ holds a
// PEFT adapter is exported as PEFT and as a merged model.
func TestExportCommandFromRun(t *testing.T) {
	ws := t.TempDir()
	base := filepath.Join(t.TempDir(), "base")
	cfg, err := model.Preset("tiny")
	require.NoError(t, err)
	m, err := model.NewRandom(cfg, 1, model.Options{})
	require.NoError(t, err)
	require.NoError(t, m.SaveCheckpoint(base))

	store, err := runs.Open(filepath.Join(ws, "runs"))
	require.NoError(t, err)
	rc := runconfig.Default()
	rc.Model.Source = base
	rc.Dataset.Path = filepath.Join(t.TempDir(), "data.jsonl")
	rec, err := store.Create(rc)
	require.NoError(t, err)
	ad := &adapter.Adapter{Config: adapter.NewAdapterConfig(base, 2, 4, 0, []string{"q_proj"}, false), Layers: map[string]*adapter.LoRA{}}
	for l := 0; l < cfg.NumLayers; l++ {
		mod := fmt.Sprintf("model.layers.%d.self_attn.q_proj", l)
		lr := &adapter.LoRA{Module: mod, R: 2, In: cfg.HiddenSize, Out: cfg.NumHeads * cfg.HeadDim}
		lr.A = make([]float32, lr.R*lr.In)
		lr.B = make([]float32, lr.Out*lr.R)
		for i := range lr.A {
			lr.A[i] = float32(i%7) * 0.01
		}
		for i := range lr.B {
			lr.B[i] = float32(i%5) * 0.01
		}
		ad.Layers[mod] = lr
	}
	require.NoError(t, adapter.WriteAdapter(store.AdapterDir(rec.ID), ad, false))

	env, stdout, stderr := exportEnv(ws)
	require.NoError(t, Run(context.Background(), env, []string{"export", "--run", rec.ID, "--format", "peft"}))
	peftDir := strings.TrimSpace(stdout.String())
	require.Equal(t, filepath.Join(ws, "exports", rec.ID+"-peft"), peftDir)
	back, err := adapter.ReadAdapter(peftDir)
	require.NoError(t, err)
	require.Equal(t, ad.Layers, back.Layers)
	require.Equal(t, base, back.Config.BaseModelNameOrPath)

	env, stdout, stderr = exportEnv(ws)
	require.NoError(t, Run(context.Background(), env, []string{"export", "--run", rec.ID, "--format", "merged", "--quant", "f32"}), stderr.String())
	mergedDir := strings.TrimSpace(stdout.String())
	require.Contains(t, stderr.String(), "tensors")
	ck, err := safetensors.OpenDir(mergedDir)
	require.NoError(t, err)
	defer ck.Close()
	q, err := ck.Float32("model.layers.0.self_attn.q_proj.weight")
	require.NoError(t, err)
	w0, err := m.BaseWeight("model.layers.0.self_attn.q_proj.weight")
	require.NoError(t, err)
	delta := ad.Layers["model.layers.0.self_attn.q_proj"].Delta(ad.Config.Scale())
	for i := range q {
		require.InDelta(t, w0.Data[i]+delta[i], q[i], 1e-6)
	}

	// Progress written to a pipe or log is a few plain lines, no
	// carriage returns.
	require.NotContains(t, stderr.String(), "\r")
	require.LessOrEqual(t, strings.Count(stderr.String(), "\n"), 5, stderr.String())

	// Exporting again into the same folder needs --overwrite, and the
	// error says so.
	env, _, _ = exportEnv(ws)
	err = Run(context.Background(), env, []string{"export", "--run", rec.ID, "--format", "merged", "--quant", "f32"})
	require.ErrorContains(t, err, "earlier export")
	require.ErrorContains(t, err, "--overwrite")
	env, _, _ = exportEnv(ws)
	require.NoError(t, Run(context.Background(), env, []string{"export", "--run", rec.ID, "--format", "merged", "--quant", "f32", "--overwrite"}))

	// A folder of someone else's files is never replaced, --overwrite or not.
	theirs := filepath.Join(t.TempDir(), "theirs")
	require.NoError(t, os.MkdirAll(theirs, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(theirs, "notes.txt"), []byte("keep"), 0o644))
	env, _, _ = exportEnv(ws)
	err = Run(context.Background(), env, []string{"export", "--run", rec.ID, "--format", "merged", "--quant", "f32", "--out", theirs, "--overwrite"})
	require.ErrorContains(t, err, "never replaced")
	entries, err := os.ReadDir(theirs)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

func TestExportCommandUsage(t *testing.T) {
	ws := t.TempDir()
	for _, args := range [][]string{
		{"export", "--format", "gguf"},
		{"export", "--run", "x", "--model", "y", "--format", "gguf"},
		{"export", "--model", "y", "--format", "onnx"},
		{"export", "--model", "y", "--format", "peft"},
		{"export", "--run", "x", "--adapter", "a", "--format", "gguf"},
		{"export", "--run", "x", "--format", "gguf", "--quant", "q3"},
		{"export", "--run", "x", "--format", "merged", "--quant", "q8_0"},
		{"export", "--run", "x", "--format", "peft", "--quant", "f16"},
		{"export", "--run", "x", "--format", "gguf-lora", "--quant", "q3"},
	} {
		env, _, _ := exportEnv(ws)
		err := Run(context.Background(), env, args)
		require.True(t, errors.Is(err, ErrUsage), "%v: %v", args, err)
	}
	env, _, _ := exportEnv(ws)
	err := Run(context.Background(), env, []string{"export", "--run", "20260101-000000-abcdef", "--format", "gguf"})
	require.ErrorContains(t, err, "20260101-000000-abcdef")
	env, _, _ = exportEnv(ws)
	missing := filepath.Join(t.TempDir(), "nope")
	err = Run(context.Background(), env, []string{"export", "--model", missing, "--format", "gguf", "--out", filepath.Join(ws, "o")})
	require.ErrorContains(t, err, missing)
	_, statErr := os.Stat(filepath.Join(ws, "o"))
	require.True(t, os.IsNotExist(statErr))
}

// A quantized GGUF export into the default folder names its file after the
// run once: <run>-q8_0.gguf, not <run>-gguf-q8_0-q8_0.gguf.
func TestExportCommandGGUFFileName(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(t.TempDir(), "demo"))
	require.NoError(t, err)
	store, err := runs.Open(filepath.Join(ws, "runs"))
	require.NoError(t, err)
	rc := runconfig.Default()
	rc.Model.Source = files.ModelDir
	rc.Dataset.Path = files.DataPath
	rec, err := store.Create(rc)
	require.NoError(t, err)
	mcfg, err := demo.ModelConfig()
	require.NoError(t, err)
	ad := &adapter.Adapter{Config: adapter.NewAdapterConfig(files.ModelDir, 2, 4, 0, []string{"q_proj"}, false), Layers: map[string]*adapter.LoRA{}}
	mod := "model.layers.0.self_attn.q_proj"
	lr := &adapter.LoRA{Module: mod, R: 2, In: mcfg.HiddenSize, Out: mcfg.NumHeads * mcfg.HeadDim}
	lr.A = make([]float32, lr.R*lr.In)
	lr.B = make([]float32, lr.Out*lr.R)
	ad.Layers[mod] = lr
	require.NoError(t, adapter.WriteAdapter(store.AdapterDir(rec.ID), ad, false))

	env, stdout, stderr := exportEnv(ws)
	require.NoError(t, Run(context.Background(), env, []string{"export", "--run", rec.ID, "--format", "gguf", "--quant", "q8_0"}), stderr.String())
	dir := strings.TrimSpace(stdout.String())
	require.Equal(t, filepath.Join(ws, "exports", rec.ID+"-gguf-q8_0"), dir)
	_, err = os.Stat(filepath.Join(dir, rec.ID+"-q8_0.gguf"))
	require.NoError(t, err, "files: %s", stderr.String())
}
