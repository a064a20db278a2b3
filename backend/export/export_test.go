package export

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// writeAdapterDir saves ad as a PEFT directory through the public export.
func writeAdapterDir(t *testing.T, ad *adapter.Adapter, dir string) {
	t.Helper()
	src := t.TempDir()
	require.NoError(t, adapter.WriteFiles(src, ad))
	_, err := Run(context.Background(), Request{Format: FormatPEFT, AdapterDir: src, OutDir: dir})
	require.NoError(t, err)
}

func TestPEFTRoundTrip(t *testing.T) {
	ad := randomAdapter(1, 4)
	ad.Config.UseRSLoRA = true
	src := t.TempDir()
	require.NoError(t, adapter.WriteFiles(src, ad))
	out := filepath.Join(t.TempDir(), "peft")
	rec := &events.Recorder{}
	res, err := Run(context.Background(), Request{Format: FormatPEFT, AdapterDir: src, OutDir: out, BaseModelName: "google/gemma-3-270m-it", Emitter: rec})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{adapter.AdapterConfigFile, adapter.AdapterWeightsFile}, res.Files)

	back, err := adapter.ReadAdapter(out)
	require.NoError(t, err)
	require.Equal(t, ad.Modules(), back.Modules())
	for _, m := range ad.Modules() {
		require.Equal(t, ad.Layers[m], back.Layers[m], m) // bit-identical F32
	}
	require.InDelta(t, 16/math.Sqrt(4), back.Config.Scale(), 1e-12)

	// The JSON has exactly PEFT's field names and values.
	var raw map[string]any
	data, err := os.ReadFile(filepath.Join(out, adapter.AdapterConfigFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &raw))
	for k, v := range map[string]any{
		"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 4.0, "lora_alpha": 16.0, "lora_dropout": 0.05,
		"bias": "none", "fan_in_fan_out": false, "use_rslora": true, "use_dora": false,
		"base_model_name_or_path": "google/gemma-3-270m-it", "modules_to_save": nil, "inference_mode": true,
	} {
		require.Equal(t, v, raw[k], k)
	}
	require.Equal(t, []any{"q_proj", "v_proj"}, raw["target_modules"])

	// Tensor names and shapes are PEFT's.
	f, err := safetensors.Open(filepath.Join(out, adapter.AdapterWeightsFile))
	require.NoError(t, err)
	defer f.Close()
	info, ok := f.Info("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight")
	require.True(t, ok, "names: %v", f.Names())
	require.Equal(t, []int{4, tinyHidden}, info.Shape)
	info, ok = f.Info("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight")
	require.True(t, ok)
	require.Equal(t, []int{tinyKV * tinyHeadDim, 4}, info.Shape)
	require.Len(t, f.Names(), 8)

	evs := rec.Events()
	require.NotEmpty(t, evs)
	last := evs[len(evs)-1]
	require.Equal(t, ProgressTopic, last.Topic)
	require.Equal(t, "done", last.Payload.(Progress).Stage)
}

func TestMergedRoundTrip(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	weights := writeTinyGemma(t, base, 3)
	ad := randomAdapter(4, 8)
	adDir := filepath.Join(t.TempDir(), "adapter")
	writeAdapterDir(t, ad, adDir)
	scale := ad.Config.Scale()

	for _, tc := range []struct {
		quant string
		shard int64
		tol   float64
	}{{"f32", 0, 1e-6}, {"bf16", 50_000, 1.0 / 128}, {"f16", 0, 1.0 / 1024}} {
		t.Run(tc.quant, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			rec := &events.Recorder{}
			_, err := Run(context.Background(), Request{Format: FormatMerged, BaseDir: base, AdapterDir: adDir, OutDir: out, Quant: tc.quant, MaxShardBytes: tc.shard, Emitter: rec})
			require.NoError(t, err)
			for _, f := range []string{"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"} {
				require.FileExists(t, filepath.Join(out, f))
			}
			if tc.shard > 0 {
				idx, err := safetensors.ReadIndex(filepath.Join(out, safetensors.IndexFile))
				require.NoError(t, err)
				require.Len(t, idx.WeightMap, len(weights))
			}
			var cfg map[string]any
			data, _ := os.ReadFile(filepath.Join(out, "config.json"))
			require.NoError(t, json.Unmarshal(data, &cfg))
			require.Equal(t, torchDTypeName(mustDType(t, tc.quant)), cfg["torch_dtype"])
			require.Equal(t, "gemma3_text", cfg["model_type"])

			ck, err := safetensors.OpenDir(out)
			require.NoError(t, err)
			defer ck.Close()
			require.Len(t, ck.Names(), len(weights))
			for name, w := range weights {
				got, err := ck.Float32(name)
				require.NoError(t, err, name)
				want := make([]float64, len(w))
				for i, v := range w {
					want[i] = float64(v)
				}
				if l := ad.Layers[strings.TrimSuffix(name, ".weight")]; l != nil {
					want = mergedReference(w, l, scale)
				}
				for i := range want {
					require.InDelta(t, want[i], float64(got[i]), tc.tol*math.Max(1, math.Abs(want[i])), "%s[%d]", name, i)
				}
			}
			stages := map[string]bool{}
			for _, e := range rec.Events() {
				stages[e.Payload.(Progress).Stage] = true
			}
			require.True(t, stages["weights"] && stages["done"], "stages %v", stages)
		})
	}

	// The merge really changed the adapted weights and only them.
	out := filepath.Join(t.TempDir(), "merged")
	_, err := Run(context.Background(), Request{Format: FormatMerged, BaseDir: base, AdapterDir: adDir, OutDir: out, Quant: "f32"})
	require.NoError(t, err)
	ck, err := safetensors.OpenDir(out)
	require.NoError(t, err)
	defer ck.Close()
	q, _ := ck.Float32("model.layers.0.self_attn.q_proj.weight")
	require.NotEqual(t, weights["model.layers.0.self_attn.q_proj.weight"], q)
	k, _ := ck.Float32("model.layers.0.self_attn.k_proj.weight")
	require.Equal(t, weights["model.layers.0.self_attn.k_proj.weight"], k)
}

func mustDType(t *testing.T, s string) safetensors.DType {
	d, err := ParseMergedDType(s)
	require.NoError(t, err)
	return d
}

func TestGGUFExportGemma3(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	weights := writeTinyGemma(t, base, 5)
	ad := randomAdapter(6, 4)
	adDir := filepath.Join(t.TempDir(), "adapter")
	writeAdapterDir(t, ad, adDir)
	scale := ad.Config.Scale()

	for _, quant := range []gguf.TensorType{gguf.TensorF32, gguf.TensorF16, gguf.TensorBF16, gguf.TensorQ8_0} {
		t.Run(quant.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "tiny")
			res, err := Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, AdapterDir: adDir, OutDir: out, Quant: strings.ToLower(quant.String())})
			require.NoError(t, err)
			file := GGUFFileName("tiny", quant)
			require.ElementsMatch(t, []string{file, ModelfileName}, res.Files)

			f, err := gguf.Open(filepath.Join(out, file))
			require.NoError(t, err)
			defer f.Close()
			md := f.Metadata
			for key, want := range map[string]any{
				"general.architecture": "gemma3", "general.name": "tiny", "general.file_type": fileTypes[quant],
				"gemma3.embedding_length": uint32(tinyHidden), "gemma3.block_count": uint32(tinyLayers),
				"gemma3.feed_forward_length": uint32(tinyInter), "gemma3.attention.head_count": uint32(tinyHeads),
				"gemma3.attention.head_count_kv": uint32(tinyKV), "gemma3.attention.key_length": uint32(tinyHeadDim),
				"gemma3.attention.value_length": uint32(tinyHeadDim), "gemma3.context_length": uint32(512),
				"gemma3.attention.layer_norm_rms_epsilon": float32(1e-6), "gemma3.rope.freq_base": float32(1e6),
				"gemma3.attention.sliding_window": uint32(128),
				"tokenizer.ggml.model":            "llama", "tokenizer.ggml.bos_token_id": uint32(2),
				"tokenizer.ggml.eos_token_id": uint32(13), "tokenizer.ggml.padding_token_id": uint32(0),
				"tokenizer.ggml.unknown_token_id": uint32(3), "tokenizer.ggml.add_bos_token": true,
				"tokenizer.ggml.add_eos_token": false, "tokenizer.ggml.add_space_prefix": false,
			} {
				got, ok := md.Get(key)
				require.True(t, ok, key)
				require.Equal(t, want, got, key)
			}
			tokens, err := md.Strings("tokenizer.ggml.tokens")
			require.NoError(t, err)
			require.Equal(t, append(append([]string{}, tinyVocab...), "[PAD14]", "[PAD15]"), tokens)
			types, _ := md.Get("tokenizer.ggml.token_type")
			require.Equal(t, []int32{3, 3, 3, 2, 6, 6, 1, 1, 1, 1, 1, 1, 3, 3, 5, 5}, types)
			scores, _ := md.Get("tokenizer.ggml.scores")
			sc := scores.([]float32)
			// Merge ranks become scores: "▁a" (rank 0) > "ab" (1) > "▁ab" (2).
			require.Equal(t, float32(0), sc[10])
			require.Equal(t, float32(-1), sc[9])
			require.Equal(t, float32(-2), sc[11])
			tmpl, _ := md.String("tokenizer.chat_template")
			require.Contains(t, tmpl, "bos_token")

			// Tensor names are llama.cpp's, values are the merged weights,
			// norms shifted by one.
			require.Len(t, f.Tensors, 1+tinyLayers*13+1)
			check := func(gg, hf string, shift float64, adapted bool) {
				info, got, err := f.TensorFloat32(gg)
				require.NoError(t, err, gg)
				w := weights[hf]
				want := make([]float64, len(w))
				for i, v := range w {
					want[i] = float64(v) + shift
				}
				if adapted {
					want = mergedReference(w, ad.Layers[strings.TrimSuffix(hf, ".weight")], scale)
				}
				if len(info.Dims) == 2 {
					require.Equal(t, quant, info.Type, gg)
				} else {
					require.Equal(t, gguf.TensorF32, info.Type, gg)
				}
				var amax float64
				for _, v := range want {
					amax = math.Max(amax, math.Abs(v))
				}
				for i := range want {
					tol := 1e-6 * math.Max(1, math.Abs(want[i]))
					switch info.Type {
					case gguf.TensorF16:
						tol = math.Abs(want[i])/1024 + 1e-7
					case gguf.TensorBF16:
						tol = math.Abs(want[i])/128 + 1e-7
					case gguf.TensorQ8_0:
						tol = amax / 127 // at most half a step of the largest block scale, plus f16 scale rounding
					}
					require.InDelta(t, want[i], float64(got[i]), tol, "%s[%d]", gg, i)
				}
			}
			check("token_embd.weight", "model.embed_tokens.weight", 0, false)
			check("output_norm.weight", "model.norm.weight", 1, false)
			for l := 0; l < tinyLayers; l++ {
				b, p := fmt.Sprintf("blk.%d.", l), fmt.Sprintf("model.layers.%d.", l)
				check(b+"attn_norm.weight", p+"input_layernorm.weight", 1, false)
				check(b+"attn_q.weight", p+"self_attn.q_proj.weight", 0, true)
				check(b+"attn_k.weight", p+"self_attn.k_proj.weight", 0, false)
				check(b+"attn_v.weight", p+"self_attn.v_proj.weight", 0, true)
				check(b+"attn_output.weight", p+"self_attn.o_proj.weight", 0, false)
				check(b+"attn_q_norm.weight", p+"self_attn.q_norm.weight", 1, false)
				check(b+"attn_k_norm.weight", p+"self_attn.k_norm.weight", 1, false)
				check(b+"post_attention_norm.weight", p+"post_attention_layernorm.weight", 1, false)
				check(b+"ffn_norm.weight", p+"pre_feedforward_layernorm.weight", 1, false)
				check(b+"post_ffw_norm.weight", p+"post_feedforward_layernorm.weight", 1, false)
				check(b+"ffn_gate.weight", p+"mlp.gate_proj.weight", 0, false)
				check(b+"ffn_up.weight", p+"mlp.up_proj.weight", 0, false)
				check(b+"ffn_down.weight", p+"mlp.down_proj.weight", 0, false)
			}
			info, _ := f.Tensor("blk.0.ffn_down.weight")
			require.Equal(t, []uint64{tinyInter, tinyHidden}, info.Dims, "ggml order is [in, out]")

			mf, err := os.ReadFile(filepath.Join(out, ModelfileName))
			require.NoError(t, err)
			require.Contains(t, string(mf), "FROM ./"+file+"\n")
			require.Contains(t, string(mf), `PARAMETER stop "<end_of_turn>"`)
			require.Contains(t, string(mf), "PARAMETER top_k 64")
			require.Contains(t, string(mf), "<start_of_turn>model")
		})
	}
}

func TestExportFailuresLeaveNothing(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	writeTinyGemma(t, base, 7)
	parent := t.TempDir()
	out := filepath.Join(parent, "out")

	// An adapter for another model (wrong shape) fails before writing.
	ad := randomAdapter(8, 4)
	l := ad.Layers["model.layers.0.self_attn.q_proj"]
	l.Out, l.B = 32, l.B[:32*4]
	adDir := t.TempDir()
	require.NoError(t, adapter.WriteFiles(adDir, ad))
	rec := &events.Recorder{}
	_, err := Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, AdapterDir: adDir, OutDir: out, Emitter: rec})
	require.ErrorContains(t, err, "model.layers.0.self_attn.q_proj")
	evs := rec.Events()
	require.Equal(t, "failed", evs[len(evs)-1].Payload.(Progress).Stage)

	// Cancelling mid-export leaves nothing behind, for every format that
	// reads weights.
	for _, format := range []Format{FormatGGUF, FormatMerged} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		em := events.Func(func(topic string, payload any) {
			if p := payload.(Progress); p.Stage == "weights" {
				n++
				if n == 3 {
					cancel()
				}
			}
		})
		_, err = Run(ctx, Request{Format: format, BaseDir: base, OutDir: out, Emitter: em, Quant: map[Format]string{FormatGGUF: "q8_0", FormatMerged: "bf16"}[format]})
		require.ErrorIs(t, err, context.Canceled, format)
		entries, _ := os.ReadDir(parent)
		require.Empty(t, entries, "%s left %v", format, entries)
		cancel()
	}

	// A folder Whetstone did not write is kept, overwriting asked for or not.
	require.NoError(t, os.MkdirAll(out, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(out, "keep.txt"), []byte("x"), 0o644))
	_, err = Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out})
	require.ErrorIs(t, err, safefile.ErrNotOwned)
	_, err = Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out, Overwrite: true, Quant: "f32"})
	require.ErrorIs(t, err, safefile.ErrNotOwned)
	require.FileExists(t, filepath.Join(out, "keep.txt"))
	// One carrying the marker (an earlier export) is replaced only when asked.
	require.NoError(t, os.WriteFile(filepath.Join(out, safefile.MarkerFile), nil, 0o644))
	_, err = Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out, Quant: "f32"})
	require.ErrorIs(t, err, safefile.ErrExists)
	_, err = Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out, Overwrite: true, Quant: "f32"})
	require.NoError(t, err)
	require.NoFileExists(t, filepath.Join(out, "keep.txt"))
	require.FileExists(t, filepath.Join(out, GGUFFileName("out", gguf.TensorF32)))
	entries, _ := os.ReadDir(parent)
	require.Len(t, entries, 1, "no temporary directories remain")

	_, err = Run(context.Background(), Request{Format: "onnx", BaseDir: base, OutDir: filepath.Join(parent, "x")})
	require.ErrorContains(t, err, "not supported")
	_, err = Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: filepath.Join(parent, "x"), Quant: "q2_k"})
	require.ErrorContains(t, err, "unknown tensor type")
}

func TestPermuteRoPE(t *testing.T) {
	// One head of dim 4 with 1 column: rows [r0 r1 | r2 r3] (two halves)
	// become interleaved pairs (r0, r2), (r1, r3).
	got, err := permuteRoPE([]float32{0, 1, 2, 3, 10, 11, 12, 13}, 8, 1, 2)
	require.NoError(t, err)
	require.Equal(t, []float32{0, 2, 1, 3, 10, 12, 11, 13}, got)
	_, err = permuteRoPE(make([]float32, 6), 6, 1, 2)
	require.Error(t, err)
}

// TestMergedBF16IsLosslessForUntouchedWeights: real checkpoints are bf16;
// exporting them merged in bf16 must leave every weight the adapter does
// not touch bit-identical.
func TestMergedBF16IsLosslessForUntouchedWeights(t *testing.T) {
	f32 := filepath.Join(t.TempDir(), "f32")
	writeTinyGemma(t, f32, 21)
	base := filepath.Join(t.TempDir(), "bf16")
	require.NoError(t, os.MkdirAll(base, 0o755))
	ck, err := safetensors.OpenDir(f32)
	require.NoError(t, err)
	var tensors []safetensors.Tensor
	for _, name := range ck.Names() {
		info, _ := ck.Info(name)
		v, err := ck.Float32(name)
		require.NoError(t, err)
		st, err := safetensors.FromFloat32(name, safetensors.BF16, info.Shape, v)
		require.NoError(t, err)
		tensors = append(tensors, st)
	}
	ck.Close()
	require.NoError(t, safetensors.WriteFile(filepath.Join(base, "model.safetensors"), tensors, nil))
	for _, f := range []string{"config.json", "tokenizer.json", "tokenizer_config.json"} {
		require.NoError(t, copyFile(filepath.Join(f32, f), filepath.Join(base, f)))
	}
	ad := randomAdapter(22, 4)
	adDir := filepath.Join(t.TempDir(), "adapter")
	require.NoError(t, adapter.WriteAdapter(adDir, ad, false))
	out := filepath.Join(t.TempDir(), "merged")
	_, err = Run(context.Background(), Request{Format: FormatMerged, BaseDir: base, AdapterDir: adDir, OutDir: out})
	require.NoError(t, err)

	in, err := safetensors.OpenDir(base)
	require.NoError(t, err)
	defer in.Close()
	got, err := safetensors.OpenDir(out)
	require.NoError(t, err)
	defer got.Close()
	changed := 0
	for _, name := range in.Names() {
		info, _ := in.Info(name)
		oinfo, ok := got.Info(name)
		require.True(t, ok, name)
		require.Equal(t, safetensors.BF16, oinfo.DType)
		a := make([]byte, info.ByteSize())
		b := make([]byte, oinfo.ByteSize())
		require.NoError(t, in.ReadRaw(name, a))
		require.NoError(t, got.ReadRaw(name, b))
		if ad.Layers[strings.TrimSuffix(name, ".weight")] != nil {
			require.NotEqual(t, a, b, name)
			changed++
		} else {
			require.Equal(t, a, b, name)
		}
	}
	require.Equal(t, len(ad.Layers), changed)
}

// Formats and Quants are the lists the Export screen offers (through the
// generated contract): every one must parse, and every GGUF type offered
// must have a llama.cpp file type.
func TestFormatsAndQuantsAreWhatRunAccepts(t *testing.T) {
	for _, f := range Formats {
		got, err := ParseFormat(strings.ToUpper(string(f)))
		require.NoError(t, err)
		require.Equal(t, f, got)
		for _, q := range Quants(f) {
			require.NoError(t, CheckQuant(f, q), "%s %s", f, q)
			if f == FormatGGUF || f == FormatGGUFLoRA {
				tt, err := gguf.ParseTensorType(q)
				require.NoError(t, err)
				require.Contains(t, fileTypes, tt)
			}
		}
		require.NoError(t, CheckQuant(f, ""))
	}
	require.Len(t, Quants(FormatGGUF), len(fileTypes))
	require.Equal(t, []string{"f16", "q8_0", "q4_k", "bf16", "f32"}, Quants(FormatGGUF))
	require.Equal(t, "f32", Quants(FormatGGUFLoRA)[0])
	require.Equal(t, []string{"bf16", "f16", "f32"}, Quants(FormatMerged))
	require.Empty(t, Quants(FormatPEFT))
	require.Error(t, CheckQuant(FormatPEFT, "f16"))
	require.Error(t, CheckQuant(FormatMerged, "q8_0"))
	require.NoError(t, CheckQuant(FormatMerged, "float16"))
	require.ErrorContains(t, CheckQuant(FormatGGUF, "q2_k"), "want f16, q8_0, q4_k, bf16, f32")
	_, err := ParseFormat("onnx")
	require.ErrorContains(t, err, "want gguf, gguf-lora, merged, peft")
}
