package export

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// addTokenPastEmbedding appends an added token to dir's tokenizer.json at
// id, as real Gemma 3 has <image_soft_token> at 262144, one past its
// 262,144 embedding rows. special false makes it a plain added token;
// base puts it in the model's own vocabulary instead.
func addTokenPastEmbedding(t *testing.T, dir string, id int, base bool) {
	t.Helper()
	path := filepath.Join(dir, "tokenizer.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var tj map[string]any
	require.NoError(t, json.Unmarshal(raw, &tj))
	if base {
		tj["model"].(map[string]any)["vocab"].(map[string]any)["zz"] = id
	} else {
		tj["added_tokens"] = append(tj["added_tokens"].([]any), map[string]any{"id": id, "content": "<image_soft_token>", "special": true})
	}
	writeJSON(t, path, tj)
}

func ggufTokens(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	require.Len(t, files, 1)
	f, err := gguf.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	v, ok := f.Metadata.Get("tokenizer.ggml.tokens")
	require.True(t, ok)
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	var toks []string
	require.NoError(t, json.Unmarshal(raw, &toks))
	return toks
}

// TestExportTokenizerLongerThanEmbedding is the real Gemma 3 270M/1B case:
// every format exports, and the GGUF vocabulary keeps the embedding's row
// count, leaving the out-of-range added token out as llama.cpp's converter
// does.
func TestExportTokenizerLongerThanEmbedding(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	writeTinyGemma(t, base, 1)
	rows := len(tinyVocab) + 2
	addTokenPastEmbedding(t, base, rows, false)
	adapter := filepath.Join(t.TempDir(), "adapter")
	writeAdapterDir(t, randomAdapter(3, 4), adapter)

	out := filepath.Join(t.TempDir(), "gguf")
	_, err := Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, AdapterDir: adapter, OutDir: out, Quant: "f32", Name: "tiny"})
	require.NoError(t, err)
	toks := ggufTokens(t, out)
	require.Len(t, toks, rows)
	require.NotContains(t, toks, "<image_soft_token>")
	require.Equal(t, "<end_of_turn>", toks[13])

	_, err = Run(context.Background(), Request{Format: FormatMerged, BaseDir: base, AdapterDir: adapter, OutDir: filepath.Join(t.TempDir(), "merged"), Quant: "f32"})
	require.NoError(t, err)
	_, err = Run(context.Background(), Request{Format: FormatPEFT, BaseDir: base, AdapterDir: adapter, OutDir: filepath.Join(t.TempDir(), "peft")})
	require.NoError(t, err)
	_, err = Run(context.Background(), Request{Format: FormatGGUFLoRA, BaseDir: base, AdapterDir: adapter, OutDir: filepath.Join(t.TempDir(), "lora")})
	require.NoError(t, err)
}

func TestExportRefusesABaseTokenPastTheEmbedding(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	writeTinyGemma(t, base, 1)
	addTokenPastEmbedding(t, base, len(tinyVocab)+2, true)
	_, err := Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: filepath.Join(t.TempDir(), "gguf"), Quant: "f32"})
	require.ErrorContains(t, err, "base vocabulary")
}

// TestLlamaCppRunsAnExportWithAnAddedTokenPastTheEmbedding: llama.cpp loads
// such a GGUF and computes the same logits as our engine.
func TestLlamaCppRunsAnExportWithAnAddedTokenPastTheEmbedding(t *testing.T) {
	if testing.Short() {
		t.Skip("llama.cpp interop test skipped in -short mode")
	}
	node, script := llamaCppCheck(t)
	cfg := toyGemma3(t, 64, 2, 1, 32)
	m, err := model.NewRandom(cfg, 5, model.Options{})
	require.NoError(t, err)
	base := filepath.Join(t.TempDir(), "base")
	require.NoError(t, m.SaveCheckpoint(base))
	writeByteFallbackTokenizer(t, base)
	addTokenPastEmbedding(t, base, 266, false)
	prompt := []int32{2, 260, 261, 262, 263, 264, 265, 100}
	ours, err := m.Logits(prompt)
	require.NoError(t, err)

	out := filepath.Join(t.TempDir(), "gguf")
	_, err = Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out, Quant: "f32", Name: "tiny"})
	require.NoError(t, err)
	require.Len(t, ggufTokens(t, out), 266)
	res := runLlamaCpp(t, node, script, []llamaCppModel{{path: filepath.Join(out, GGUFFileName("tiny", gguf.TensorF32)), tokens: prompt}}, nil)
	compareLogits(t, "gemma3 with an added token past the embedding", "f32", ours, res[0].Logits, cfg.VocabSize)
}
