package export

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// tinyVocab is a SentencePiece-style BPE vocabulary small enough to check
// by hand: specials, two byte-fallback tokens, characters and merges.
var tinyVocab = []string{"<pad>", "<eos>", "<bos>", "<unk>", "<0x00>", "<0x01>", "▁", "a", "b", "ab", "▁a", "▁ab", "<start_of_turn>", "<end_of_turn>"}

const tinyHidden, tinyInter, tinyLayers, tinyHeads, tinyKV, tinyHeadDim = 64, 128, 2, 2, 1, 32

// writeTinyGemma writes a complete Gemma 3 checkpoint directory with random
// F32 weights, a tokenizer and configs, and returns the weights by name.
func writeTinyGemma(t *testing.T, dir string, seed uint64) map[string][]float32 {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	vocab := len(tinyVocab) + 2 // two embedding rows beyond the tokenizer, as real Gemma has
	cfg := map[string]any{
		"architectures": []string{"Gemma3ForCausalLM"}, "model_type": "gemma3_text",
		"vocab_size": vocab, "hidden_size": tinyHidden, "intermediate_size": tinyInter,
		"num_hidden_layers": tinyLayers, "num_attention_heads": tinyHeads, "num_key_value_heads": tinyKV,
		"head_dim": tinyHeadDim, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
		"max_position_embeddings": 512, "sliding_window": 128, "query_pre_attn_scalar": tinyHeadDim,
		"layer_types": []string{"sliding_attention", "sliding_attention"}, "hidden_activation": "gelu_pytorch_tanh",
		"bos_token_id": 2, "eos_token_id": []int{1, 13}, "pad_token_id": 0, "tie_word_embeddings": true,
		"torch_dtype": "float32", "rope_scaling": nil,
	}
	writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	writeJSON(t, filepath.Join(dir, "generation_config.json"), map[string]any{"bos_token_id": 2, "eos_token_id": []int{1, 13}, "top_k": 64, "top_p": 0.95})
	writeTinyTokenizer(t, dir)
	rng := rand.New(rand.NewPCG(seed, 7))
	weights := map[string][]float32{}
	var tensors []safetensors.Tensor
	add := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.1)
		}
		weights[name] = v
		st, err := safetensors.FromFloat32(name, safetensors.F32, shape, v)
		require.NoError(t, err)
		tensors = append(tensors, st)
	}
	add("model.embed_tokens.weight", vocab, tinyHidden)
	for l := 0; l < tinyLayers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", tinyHidden)
		add(p+"self_attn.q_proj.weight", tinyHeads*tinyHeadDim, tinyHidden)
		add(p+"self_attn.k_proj.weight", tinyKV*tinyHeadDim, tinyHidden)
		add(p+"self_attn.v_proj.weight", tinyKV*tinyHeadDim, tinyHidden)
		add(p+"self_attn.o_proj.weight", tinyHidden, tinyHeads*tinyHeadDim)
		add(p+"self_attn.q_norm.weight", tinyHeadDim)
		add(p+"self_attn.k_norm.weight", tinyHeadDim)
		add(p+"post_attention_layernorm.weight", tinyHidden)
		add(p+"pre_feedforward_layernorm.weight", tinyHidden)
		add(p+"post_feedforward_layernorm.weight", tinyHidden)
		add(p+"mlp.gate_proj.weight", tinyInter, tinyHidden)
		add(p+"mlp.up_proj.weight", tinyInter, tinyHidden)
		add(p+"mlp.down_proj.weight", tinyHidden, tinyInter)
	}
	add("model.norm.weight", tinyHidden)
	require.NoError(t, safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), tensors, map[string]string{"format": "pt"}))
	return weights
}

// writeTinyTokenizer writes tinyVocab as a SentencePiece-style
// tokenizer.json with its tokenizer_config.json.
func writeTinyTokenizer(t *testing.T, dir string) {
	t.Helper()
	vocabMap := map[string]int{}
	for i, tok := range tinyVocab {
		if i < 12 {
			vocabMap[tok] = i
		}
	}
	writeJSON(t, filepath.Join(dir, "tokenizer.json"), map[string]any{
		"version": "1.0",
		"added_tokens": []map[string]any{
			{"id": 0, "content": "<pad>", "special": true}, {"id": 1, "content": "<eos>", "special": true},
			{"id": 2, "content": "<bos>", "special": true}, {"id": 3, "content": "<unk>", "special": true},
			{"id": 12, "content": "<start_of_turn>", "special": true}, {"id": 13, "content": "<end_of_turn>", "special": true},
		},
		"normalizer": map[string]any{"type": "Replace", "pattern": map[string]string{"String": " "}, "content": "▁"},
		"model": map[string]any{
			"type": "BPE", "byte_fallback": true, "unk_token": "<unk>", "vocab": vocabMap,
			"merges": [][2]string{{"▁", "a"}, {"a", "b"}, {"▁a", "b"}},
		},
	})
	writeJSON(t, filepath.Join(dir, "tokenizer_config.json"), map[string]any{
		"add_bos_token": true, "add_eos_token": false, "bos_token": "<bos>", "eos_token": "<end_of_turn>",
		"pad_token": "<pad>", "unk_token": "<unk>", "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}",
	})
}

// randomAdapter builds an adapter on q_proj and v_proj of every layer with
// non-zero B so the merge changes the weights.
func randomAdapter(seed uint64, r int) *adapter.Adapter {
	rng := rand.New(rand.NewPCG(seed, 11))
	ad := &adapter.Adapter{Config: adapter.NewAdapterConfig("tiny-gemma", r, 16, 0.05, []string{"q_proj", "v_proj"}, false), Layers: map[string]*adapter.LoRA{}}
	for l := 0; l < tinyLayers; l++ {
		for _, m := range []struct {
			name    string
			in, out int
		}{{"q_proj", tinyHidden, tinyHeads * tinyHeadDim}, {"v_proj", tinyHidden, tinyKV * tinyHeadDim}} {
			mod := fmt.Sprintf("model.layers.%d.self_attn.%s", l, m.name)
			lr := &adapter.LoRA{Module: mod, R: r, In: m.in, Out: m.out, A: make([]float32, r*m.in), B: make([]float32, m.out*r)}
			for i := range lr.A {
				lr.A[i] = float32(rng.NormFloat64() * 0.1)
			}
			for i := range lr.B {
				lr.B[i] = float32(rng.NormFloat64() * 0.1)
			}
			ad.Layers[mod] = lr
		}
	}
	return ad
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// mergedReference computes W + scale·B·A in float64, independently of
// LoRA.Delta.
func mergedReference(w []float32, l *adapter.LoRA, scale float64) []float64 {
	out := make([]float64, len(w))
	for o := 0; o < l.Out; o++ {
		for i := 0; i < l.In; i++ {
			var s float64
			for k := 0; k < l.R; k++ {
				s += float64(l.B[o*l.R+k]) * float64(l.A[k*l.In+i])
			}
			out[o*l.In+i] = float64(w[o*l.In+i]) + scale*s
		}
	}
	return out
}
