package export

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/gguf"
)

func TestGGUFLoRAExport(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	writeTinyGemma(t, base, 12)
	ad := randomAdapter(13, 4)
	ad.Config.UseRSLoRA = true
	adDir := filepath.Join(t.TempDir(), "adapter")
	require.NoError(t, adapter.WriteAdapter(adDir, ad, false))

	out := filepath.Join(t.TempDir(), "lora")
	res, err := Run(context.Background(), Request{Format: FormatGGUFLoRA, BaseDir: base, AdapterDir: adDir, OutDir: out, Name: "tiny"})
	require.NoError(t, err)
	file := LoRAGGUFFileName("tiny", gguf.TensorF32)
	require.Equal(t, []string{file}, res.Files)

	f, err := gguf.Open(filepath.Join(out, file))
	require.NoError(t, err)
	defer f.Close()
	for key, want := range map[string]any{
		"general.architecture": "gemma3", "general.type": "adapter", "adapter.type": "lora",
		// rsLoRA scales by alpha/√r; llama.cpp divides alpha by r.
		"adapter.lora.alpha": float32(16 * math.Sqrt(4)),
	} {
		got, ok := f.Metadata.Get(key)
		require.True(t, ok, key)
		require.Equal(t, want, got, key)
	}
	require.Len(t, f.Tensors, 2*len(ad.Layers))
	l := ad.Layers["model.layers.1.self_attn.v_proj"]
	info, a, err := f.TensorFloat32("blk.1.attn_v.weight.lora_a")
	require.NoError(t, err)
	require.Equal(t, []uint64{tinyHidden, 4}, info.Dims)
	require.Equal(t, l.A, a)
	info, b, err := f.TensorFloat32("blk.1.attn_v.weight.lora_b")
	require.NoError(t, err)
	require.Equal(t, []uint64{4, tinyKV * tinyHeadDim}, info.Dims)
	require.Equal(t, l.B, b)

	// Without an adapter there is nothing to export.
	_, err = Run(context.Background(), Request{Format: FormatGGUFLoRA, BaseDir: base, OutDir: filepath.Join(t.TempDir(), "x")})
	require.ErrorContains(t, err, "adapter directory is required")
}
