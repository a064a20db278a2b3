package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, name := range []string{"gemma3", "llama", "qwen2", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			m := tinyModel(t, name, 4, Options{})
			dir := t.TempDir()
			if err := m.SaveCheckpoint(dir); err != nil {
				t.Fatal(err)
			}
			m2, err := Load(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m2.cfg.Arch != m.cfg.Arch || m2.cfg.AttnScale != m.cfg.AttnScale || m2.cfg.AttnLogitSoftcap != m.cfg.AttnLogitSoftcap ||
				strings.Join(m2.cfg.LayerTypes, ",") != strings.Join(m.cfg.LayerTypes, ",") || m2.cfg.TieWordEmbeddings != m.cfg.TieWordEmbeddings {
				t.Errorf("config changed: %+v\nvs %+v", m2.cfg, m.cfg)
			}
			toks := testTokens(6, m.cfg.VocabSize, 1)
			a, _ := m.Logits(toks)
			b, err := m2.Logits(toks)
			if err != nil {
				t.Fatal(err)
			}
			for i := range a {
				for j := range a[i] {
					if a[i][j] != b[i][j] {
						t.Fatalf("logits differ at %d,%d", i, j)
					}
				}
			}
		})
	}
}

// TestLoadMultimodalGemmaPrefixes: the language model of a multimodal
// gemma3 checkpoint loads under both prefix conventions, ignoring vision
// tensors, and with bf16 storage.
func TestLoadMultimodalGemmaPrefixes(t *testing.T) {
	m := tinyModel(t, "gemma3-multimodal", 4, Options{})
	toks := testTokens(6, m.cfg.VocabSize, 1)
	want, _ := m.Logits(toks)
	for _, prefix := range []string{"language_model.model.", "model.language_model."} {
		dir := t.TempDir()
		var ts []safetensors.Tensor
		for _, n := range m.BaseWeightNames() {
			ht, _ := m.BaseWeight(n)
			st, err := safetensors.FromFloat32(prefix+strings.TrimPrefix(n, "model."), safetensors.BF16, ht.Shape, ht.Data)
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, st)
		}
		vision, _ := safetensors.FromFloat32("vision_tower.vision_model.embeddings.patch_embedding.weight", safetensors.F32, []int{2}, []float32{1, 2})
		ts = append(ts, vision)
		if err := safetensors.WriteSharded(dir, ts, nil, 4000); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tinyConfigs["gemma3-multimodal"]), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, storage := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16} {
			m2, err := Load(dir, Options{StorageDType: storage})
			if err != nil {
				t.Fatalf("%s: %v", prefix, err)
			}
			if got := m2.cfg.EOSTokenIDs; len(got) != 2 || got[1] != 106 {
				t.Errorf("eos ids from the outer config: %v", got)
			}
			got, err := m2.Logits(toks)
			if err != nil {
				t.Fatal(err)
			}
			// bf16 rounding of the weights moves logits a little, not a lot.
			if d := maxAbsDiff(got, toFloat64(want)); d > 0.05 || d == 0 {
				t.Errorf("%s %s: max diff %g after bf16 round trip", prefix, storage, d)
			}
		}
	}
}

func toFloat64(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = make([]float64, len(x[i]))
		for j, v := range x[i] {
			out[i][j] = float64(v)
		}
	}
	return out
}

func TestLoadErrorsNameTheProblem(t *testing.T) {
	m := tinyModel(t, "qwen3", 4, Options{})
	dir := t.TempDir()
	if err := m.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.json")
	orig, _ := os.ReadFile(cfgPath)
	edit := func(key string, value any) {
		var raw map[string]any
		_ = json.Unmarshal(orig, &raw)
		raw[key] = value
		data, _ := json.Marshal(raw)
		_ = os.WriteFile(cfgPath, data, 0o644)
	}
	cases := []struct {
		key   string
		value any
		want  string
	}{
		{"hidden_size", 48, "shape"},
		{"num_hidden_layers", 3, "model.layers.2"},
		{"model_type", "mamba", "not supported"},
		{"num_key_value_heads", 3, "multiple"},
		{"rope_scaling", map[string]any{"rope_type": "yarn", "factor": 2.0}, "yarn"},
	}
	for _, c := range cases {
		edit(c.key, c.value)
		_, err := Load(dir, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%v: error %v, want it to mention %q", c.key, c.value, err, c.want)
		}
	}
	if _, err := Load(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"model_type":"gemma3_text","vocab_size":10,"hidden_size":8,"intermediate_size":8,
		"num_hidden_layers":12,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4}`))
	if err != nil {
		t.Fatal(err)
	}
	for i, lt := range cfg.LayerTypes {
		wantGlobal := i == 5 || i == 11
		if (lt == "full_attention") != wantGlobal {
			t.Errorf("layer %d is %s", i, lt)
		}
	}
	if cfg.AttnScale != 1.0/16 || !cfg.TieWordEmbeddings || cfg.RopeLocalTheta != 10000 || cfg.RopeTheta != 1e6 || cfg.SlidingWindow != 4096 {
		t.Errorf("gemma defaults: %+v", cfg)
	}
	q2, err := ParseConfig([]byte(tinyConfigs["qwen2"]))
	if err != nil || !q2.AttentionBias || q2.QKNorm {
		t.Errorf("qwen2: %+v %v", q2, err)
	}
	l, err := ParseConfig([]byte(tinyConfigs["llama"]))
	if err != nil || l.RopeScaling == nil || l.RopeScaling.Type != "llama3" || l.TieWordEmbeddings || len(l.EOSTokenIDs) != 2 {
		t.Errorf("llama: %+v %v", l, err)
	}
}

func TestGenerationConfig(t *testing.T) {
	m := tinyModel(t, "llama", 4, Options{})
	dir := t.TempDir()
	if err := m.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m2.GenerationConfig(); ok {
		t.Error("generation config found where there is none")
	}
	if got := m2.StopTokens(); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("stop tokens %v", got)
	}
	gen := `{"eos_token_id":[3,9],"do_sample":true,"top_k":64,"top_p":0.95}`
	if err := os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(gen), 0o644); err != nil {
		t.Fatal(err)
	}
	m3, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	gc, ok := m3.GenerationConfig()
	if !ok || !gc.DoSample || gc.Sampling.TopK != 64 || gc.Sampling.Temperature != 1 {
		t.Errorf("generation config %+v", gc)
	}
	if got := m3.StopTokens(); len(got) != 3 || got[2] != 9 {
		t.Errorf("stop tokens %v, want config's 2,3 plus 9", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, Options{}); err == nil || !strings.Contains(err.Error(), "generation_config.json") {
		t.Errorf("malformed generation_config: %v", err)
	}
}

// A gemma-3-4b-it style config: the text_config leaves head counts, head
// size and vocabulary to Gemma3TextConfig's defaults.
func TestParseMultimodalGemmaDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"architectures":["Gemma3ForConditionalGeneration"],"model_type":"gemma3",
		"text_config":{"hidden_size":2560,"intermediate_size":10240,"model_type":"gemma3_text","num_hidden_layers":34,
		"rope_scaling":{"factor":8.0,"rope_type":"linear"},"sliding_window":1024},
		"vision_config":{"model_type":"siglip_vision_model"},"eos_token_id":[1,106],"torch_dtype":"bfloat16"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.VocabSize != 262208 || cfg.NumHeads != 8 || cfg.NumKVHeads != 4 || cfg.HeadDim != 256 ||
		cfg.RopeScaling == nil || cfg.RopeScaling.Factor != 8 || cfg.SlidingWindow != 1024 || cfg.TorchDType != "bfloat16" {
		t.Errorf("parsed %+v", cfg)
	}
	if cfg.LayerTypes[5] != "full_attention" || cfg.LayerTypes[4] != "sliding_attention" {
		t.Errorf("layer types %v", cfg.LayerTypes)
	}
	if p := cfg.NumParams(); p < 3.7e9 || p > 4.0e9 {
		t.Errorf("%d parameters for the language model of Gemma 3 4B (≈3.9B)", p)
	}
}
