package model

import (
	"fmt"
	"math"
	"testing"
)

// tinyConfigs are small random configurations covering every architecture
// switch: Gemma 3 with sliding layers, local/global RoPE bases, linear rope
// scaling and both soft-caps; Llama with llama3 rope scaling and an untied
// head; Qwen 2 biases; Qwen 3 q/k norm.
var tinyConfigs = map[string]string{
	"gemma3": `{"model_type":"gemma3_text","vocab_size":96,"hidden_size":32,"intermediate_size":48,
		"num_hidden_layers":3,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":8,
		"rms_norm_eps":1e-6,"rope_theta":1000000.0,"rope_local_base_freq":10000.0,
		"rope_scaling":{"rope_type":"linear","factor":8.0},"sliding_window":3,"sliding_window_pattern":2,
		"query_pre_attn_scalar":16,"attn_logit_softcapping":50.0,"final_logit_softcapping":30.0,
		"hidden_activation":"gelu_pytorch_tanh","max_position_embeddings":512}`,
	"gemma3-multimodal": `{"model_type":"gemma3","text_config":{"model_type":"gemma3_text","vocab_size":64,
		"hidden_size":16,"intermediate_size":32,"num_hidden_layers":2,"num_attention_heads":2,
		"num_key_value_heads":1,"head_dim":8,"layer_types":["sliding_attention","full_attention"],
		"sliding_window":4},"eos_token_id":[1,106]}`,
	"llama": `{"model_type":"llama","vocab_size":80,"hidden_size":32,"intermediate_size":64,
		"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"rms_norm_eps":1e-5,
		"rope_theta":500000.0,"tie_word_embeddings":false,"hidden_act":"silu",
		"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,
		"original_max_position_embeddings":8},"bos_token_id":1,"eos_token_id":[2,3]}`,
	"qwen2": `{"model_type":"qwen2","vocab_size":70,"hidden_size":24,"intermediate_size":40,
		"num_hidden_layers":2,"num_attention_heads":3,"num_key_value_heads":1,"rms_norm_eps":1e-6,
		"rope_theta":1000000.0,"tie_word_embeddings":true,"hidden_act":"silu"}`,
	"qwen3": `{"model_type":"qwen3","vocab_size":72,"hidden_size":32,"intermediate_size":48,
		"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,
		"rms_norm_eps":1e-6,"rope_theta":1000000.0,"tie_word_embeddings":true,"hidden_act":"silu"}`,
}

func tinyModel(t testing.TB, name string, seed int64, opts Options) *Model {
	t.Helper()
	cfg, err := ParseConfig([]byte(tinyConfigs[name]))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m, err := NewRandom(cfg, seed, opts)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func testTokens(n, vocab int, seed int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32((i*37 + seed*11 + i*i*7) % vocab)
	}
	return out
}

func maxAbsDiff(got [][]float32, want [][]float64) float64 {
	worst := 0.0
	for i := range want {
		for j := range want[i] {
			worst = math.Max(worst, math.Abs(float64(got[i][j])-want[i][j]))
		}
	}
	return worst
}

// TestForwardMatchesNaiveReference compares the GoMLX forward pass with the
// independent float64 reference at 1e-4, for every architecture, with LoRA
// adapters attached (B randomized so they matter; the reference sees the
// merged weights).
func TestForwardMatchesNaiveReference(t *testing.T) {
	for name := range tinyConfigs {
		t.Run(name, func(t *testing.T) {
			m := tinyModel(t, name, 7, Options{})
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			randomizeLoRAB(t, m, 5)
			ref := newRefModel(t, m)
			tokens := testTokens(9, m.cfg.VocabSize, len(name))
			got, err := m.Logits(tokens)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.forward(tokens)
			d := maxAbsDiff(got, want)
			t.Logf("max abs logit diff %.3g (logit scale %.3g)", d, math.Abs(want[3][5]))
			if d > 1e-4 {
				t.Errorf("max |logit diff| = %g > 1e-4", d)
			}
			// The check must be able to fail: a different model disagrees.
			other := newRefModel(t, tinyModel(t, name, 8, Options{}))
			if d := maxAbsDiff(got, other.forward(tokens)); d < 1e-2 {
				t.Errorf("a different model agrees within %g: the comparison is vacuous", d)
			}
		})
	}
}

// randomizeLoRAB gives every B matrix small random values.
func randomizeLoRAB(t testing.TB, m *Model, seed int) {
	t.Helper()
	st, err := m.LoRAState()
	if err != nil {
		t.Fatal(err)
	}
	for k := range st {
		for i := range st[k].Data {
			if st[k].Name[len(st[k].Name)-len("lora_B.weight"):] == "lora_B.weight" {
				st[k].Data[i] = float32(math.Sin(float64(i*7+k*13+seed))) * 0.1
			}
		}
	}
	if err := m.SetLoRAState(st); err != nil {
		t.Fatal(err)
	}
}

var _ = fmt.Sprint
