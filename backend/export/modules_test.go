package export

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

const tinyVocabRows = 16 // len(tinyVocab) + 2, the embedding rows writeTinyGemma writes

// trainedMatrix is a [vocab, hidden] matrix unlike any base weight.
func trainedMatrix(seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 5))
	out := make([]float32, tinyVocabRows*tinyHidden)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

// withSaved adds trained modules to ad, each with the given matrix.
func withSaved(ad *adapter.Adapter, data map[string][]float32) *adapter.Adapter {
	ad.Saved = map[string]*adapter.Module{}
	for n, d := range data {
		ad.Saved[n] = &adapter.Module{Name: n, Shape: []int{tinyVocabRows, tinyHidden}, Data: d}
		ad.Config.ModulesToSave = append(ad.Config.ModulesToSave, n)
	}
	ad.Config.ModulesToSave, _ = adapter.NormalizeModules(ad.Config.ModulesToSave)
	return ad
}

// writeUntiedGemma is writeTinyGemma with its own LM head
// (tie_word_embeddings false).
func writeUntiedGemma(t *testing.T, dir string, seed uint64) map[string][]float32 {
	t.Helper()
	weights := writeTinyGemma(t, dir, seed)
	cfgPath := filepath.Join(dir, "config.json")
	var cfg map[string]any
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cfg))
	cfg["tie_word_embeddings"] = false
	writeJSON(t, cfgPath, cfg)
	ck, err := safetensors.OpenDir(dir)
	require.NoError(t, err)
	var ts []safetensors.Tensor
	for _, name := range ck.Names() {
		info, _ := ck.Info(name)
		st, err := safetensors.FromFloat32(name, safetensors.F32, info.Shape, weights[name])
		require.NoError(t, err)
		ts = append(ts, st)
	}
	require.NoError(t, ck.Close())
	weights["lm_head.weight"] = trainedMatrix(seed + 100)
	head, err := safetensors.FromFloat32("lm_head.weight", safetensors.F32, []int{tinyVocabRows, tinyHidden}, weights["lm_head.weight"])
	require.NoError(t, err)
	ts = append(ts, head)
	require.NoError(t, safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, map[string]string{"format": "pt"}))
	return weights
}

// readMerged returns the tensors of a merged export by name.
func readMerged(t *testing.T, dir string) map[string][]float32 {
	t.Helper()
	ck, err := safetensors.OpenDir(dir)
	require.NoError(t, err)
	defer ck.Close()
	out := map[string][]float32{}
	for _, n := range ck.Names() {
		out[n], err = ck.Float32(n)
		require.NoError(t, err)
	}
	return out
}

// A tied model's trained matrix replaces its embeddings in the merged and
// GGUF exports (the head reads the same matrix); the PEFT export copies
// it under both names; a LoRA GGUF, which cannot carry it, is refused.
func TestExportsOfTrainedModulesOnATiedModel(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	weights := writeTinyGemma(t, base, 21)
	emb := trainedMatrix(1)
	ad := withSaved(randomAdapter(22, 4), map[string][]float32{"embed_tokens": emb, "lm_head": emb})
	adDir := filepath.Join(t.TempDir(), "adapter")
	require.NoError(t, adapter.WriteAdapter(adDir, ad, false))
	ctx := context.Background()

	out := filepath.Join(t.TempDir(), "merged")
	_, err := Run(ctx, Request{Format: FormatMerged, BaseDir: base, AdapterDir: adDir, OutDir: out, Quant: "f32"})
	require.NoError(t, err)
	merged := readMerged(t, out)
	require.Equal(t, emb, merged["model.embed_tokens.weight"])
	require.NotContains(t, merged, "lm_head.weight")
	require.Equal(t, weights["model.norm.weight"], merged["model.norm.weight"])

	out = filepath.Join(t.TempDir(), "gguf")
	_, err = Run(ctx, Request{Format: FormatGGUF, BaseDir: base, AdapterDir: adDir, OutDir: out, Quant: "f32", Name: "tiny"})
	require.NoError(t, err)
	f, err := gguf.Open(filepath.Join(out, GGUFFileName("tiny", gguf.TensorF32)))
	require.NoError(t, err)
	_, got, err := f.TensorFloat32("token_embd.weight")
	require.NoError(t, err)
	require.Equal(t, emb, got)
	require.NoError(t, f.Close())

	out = filepath.Join(t.TempDir(), "peft")
	_, err = Run(ctx, Request{Format: FormatPEFT, AdapterDir: adDir, OutDir: out})
	require.NoError(t, err)
	back, err := adapter.ReadAdapter(out)
	require.NoError(t, err)
	require.Equal(t, []string{"embed_tokens", "lm_head"}, back.Config.ModulesToSave)
	require.Equal(t, ad.Saved, back.Saved)

	out = filepath.Join(t.TempDir(), "lora")
	_, err = Run(ctx, Request{Format: FormatGGUFLoRA, BaseDir: base, AdapterDir: adDir, OutDir: out})
	require.ErrorContains(t, err, "cannot carry")
	require.ErrorContains(t, err, "export gguf")
	require.NoDirExists(t, out)
}

// On an untied model each trained module replaces its own matrix and the
// other stays the base one; a tied model refuses an adapter that trained
// its head alone.
func TestMergedExportOfTrainedModulesOnAnUntiedModel(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	weights := writeUntiedGemma(t, base, 31)
	ctx := context.Background()
	for _, trained := range []string{"embed_tokens", "lm_head"} {
		t.Run(trained, func(t *testing.T) {
			mat := trainedMatrix(2)
			adDir := filepath.Join(t.TempDir(), "adapter")
			require.NoError(t, adapter.WriteAdapter(adDir, withSaved(randomAdapter(32, 4), map[string][]float32{trained: mat}), false))
			out := filepath.Join(t.TempDir(), "merged")
			_, err := Run(ctx, Request{Format: FormatMerged, BaseDir: base, AdapterDir: adDir, OutDir: out, Quant: "f32"})
			require.NoError(t, err)
			merged := readMerged(t, out)
			for name, mod := range map[string]string{"model.embed_tokens.weight": "embed_tokens", "lm_head.weight": "lm_head"} {
				want := weights[name]
				if mod == trained {
					want = mat
				}
				require.Equal(t, want, merged[name], name)
			}
		})
	}

	tied := filepath.Join(t.TempDir(), "tied")
	writeTinyGemma(t, tied, 33)
	adDir := filepath.Join(t.TempDir(), "adapter")
	require.NoError(t, adapter.WriteAdapter(adDir, withSaved(randomAdapter(34, 4), map[string][]float32{"lm_head": trainedMatrix(3)}), false))
	_, err := Run(ctx, Request{Format: FormatMerged, BaseDir: tied, AdapterDir: adDir, OutDir: filepath.Join(t.TempDir(), "x")})
	require.ErrorContains(t, err, "lm_head alone")
}
