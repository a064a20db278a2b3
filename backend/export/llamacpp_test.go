package export

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// llamaCppCheck locates tools/llamacpp-check (node-llama-cpp, installed
// with `npm ci` there) or skips the test saying what is missing.
func llamaCppCheck(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: skipping the llama.cpp interop test (install Node.js and run `npm install --ignore-scripts` in tools/llamacpp-check)")
	}
	dir, err := filepath.Abs("../../tools/llamacpp-check")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-llama-cpp", "package.json")); err != nil {
		t.Skipf("node-llama-cpp is not installed in %s: skipping the llama.cpp interop test (run `npm install --ignore-scripts` there)", dir)
	}
	return node, filepath.Join(dir, "check.mjs")
}

type llamaCppOutput struct {
	VocabularyType string  `json:"vocabularyType"`
	TextTokens     [][]int `json:"textTokens"`
	VocabSize      int     `json:"vocabSize"`
	Positions      int     `json:"positions"`
	// Logits is read from the binary file the script writes.
	Logits [][]float32 `json:"-"`
}

// llamaCppModel is a GGUF file and the prompt to evaluate with it.
type llamaCppModel struct {
	path   string
	lora   string // a LoRA GGUF to apply, or ""
	tokens []int32
}

func runLlamaCpp(t *testing.T, node, script string, models []llamaCppModel, texts []string) []llamaCppOutput {
	t.Helper()
	logitsDir := t.TempDir()
	args := []string{script, "--special", "--logits-dir", logitsDir}
	if texts != nil {
		p := filepath.Join(t.TempDir(), "texts.json")
		data, err := json.Marshal(texts)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		args = append(args, "--texts", p)
	}
	for _, m := range models {
		args = append(args, "--model", m.path)
		if m.lora != "" {
			args = append(args, "--lora", m.lora)
		}
		if len(m.tokens) > 0 {
			s := make([]string, len(m.tokens))
			for i, tk := range m.tokens {
				s[i] = strconv.Itoa(int(tk))
			}
			args = append(args, "--tokens", strings.Join(s, ","))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	require.NoError(t, err, "llama.cpp check failed: %s", stderr.String())
	t.Logf("llama.cpp (node-llama-cpp) checked %d models in %s", len(models), time.Since(start).Round(time.Millisecond))
	var out []llamaCppOutput
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "output: %.500s", stdout.String())
	require.Len(t, out, len(models))
	for i := range out {
		if len(models[i].tokens) == 0 {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(logitsDir, fmt.Sprintf("%d.f32", i)))
		require.NoError(t, err)
		o := &out[i]
		require.Equal(t, len(models[i].tokens), o.Positions)
		require.Len(t, raw, 4*o.Positions*o.VocabSize)
		for p := 0; p < o.Positions; p++ {
			row := make([]float32, o.VocabSize)
			for v := range row {
				row[v] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(p*o.VocabSize+v):]))
			}
			o.Logits = append(o.Logits, row)
		}
	}
	return out
}

// encodeCase is one entry of the shared reference tokenizations.
type encodeCase struct {
	Text string `json:"text"`
	IDs  map[string]struct {
		Plain []int `json:"plain"`
	} `json:"ids"`
}

// interopCase is one architecture checked against llama.cpp.
type interopCase struct {
	family string // tokenizer folder and key in encode_cases.json
	// config builds a tiny configuration of the family sized for the real
	// tokenizer.
	config func(t *testing.T) *model.Config
	quants []string
	// lora also checks a trained-looking adapter: as a LoRA GGUF applied by
	// llama.cpp to the f32 base GGUF, and merged into a GGUF.
	lora bool
}

// TestLlamaCppInterop is the interop test with an independent consumer:
// llama.cpp (prebuilt, via node-llama-cpp) loads our GGUF of a tiny random
// model of each family with its real tokenizer, tokenizes the shared
// reference texts like Hugging Face does, and computes the same next-token
// logits as our own engine. It is also the independent check of the
// engine's numerics.
func TestLlamaCppInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("llama.cpp interop test skipped in -short mode")
	}
	node, script := llamaCppCheck(t)
	cases := []interopCase{
		{family: "gemma3", quants: []string{"f32", "f16", "q8_0"}, lora: true, config: func(t *testing.T) *model.Config {
			cfg, err := model.Preset("tiny")
			require.NoError(t, err)
			cfg.VocabSize = 262145 // the real tokenizer's size, so every id is valid
			return cfg
		}},
		{family: "llama3", quants: []string{"f32"}, lora: true, config: func(t *testing.T) *model.Config {
			return hfConfig(t, map[string]any{
				"model_type": "llama", "vocab_size": 128256, "hidden_size": 64, "intermediate_size": 128,
				"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
				"rms_norm_eps": 1e-5, "rope_theta": 500000.0, "max_position_embeddings": 131072,
				"rope_scaling": map[string]any{"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
				"hidden_act":   "silu", "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": []int{128001, 128008, 128009},
			})
		}},
		{family: "qwen3", quants: []string{"f32"}, config: func(t *testing.T) *model.Config {
			return hfConfig(t, map[string]any{
				"model_type": "qwen3", "vocab_size": 151936, "hidden_size": 64, "intermediate_size": 128,
				"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
				"rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "max_position_embeddings": 40960,
				"hidden_act": "silu", "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151645,
				"attention_bias": false, "use_sliding_window": false,
			})
		}},
	}
	texts, refIDs := referenceTexts(t)
	var preps []*interopPrep
	var models []llamaCppModel
	for _, tc := range cases {
		p := prepareInterop(t, tc)
		preps = append(preps, p)
		for _, f := range p.files {
			models = append(models, llamaCppModel{path: f, tokens: p.prompt})
		}
		models = append(models, p.loraModels...)
	}
	results := runLlamaCpp(t, node, script, models, texts)
	for i, p := range preps {
		n := len(p.tc.quants) + len(p.loraModels)
		res := results[:n]
		results = results[n:]
		t.Run(cases[i].family, func(t *testing.T) { p.compare(t, texts, refIDs[p.tc.family], res) })
	}
}

// knownLlamaCppDeviation reports reference texts that llama.cpp itself
// tokenizes differently from Hugging Face whatever the GGUF holds: it does
// not apply Qwen's NFC normalizer (texts with combining accents), and it
// turns any token spelled "</s>" into a control token (its
// "control-looking token" override), which Qwen's vocabulary has as plain
// text.
func knownLlamaCppDeviation(family, text string) bool {
	if family != "qwen3" {
		return false
	}
	if strings.Contains(text, "</s>") {
		return true
	}
	for _, r := range text {
		if r >= 0x300 && r <= 0x36f {
			return true
		}
	}
	return false
}

func hfConfig(t *testing.T, fields map[string]any) *model.Config {
	t.Helper()
	data, err := json.Marshal(fields)
	require.NoError(t, err)
	cfg, err := model.ParseConfig(data)
	require.NoError(t, err)
	return cfg
}

// referenceTexts reads the shared reference tokenizations: the texts and,
// per family, Hugging Face's ids without special tokens added.
func referenceTexts(t *testing.T) ([]string, map[string][][]int) {
	var cases []encodeCase
	data, err := os.ReadFile(sharedtest.Path(t, "refsets", "visible", "encode_cases.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cases))
	var texts []string
	ids := map[string][][]int{}
	for _, c := range cases {
		if c.Text == "" {
			continue
		}
		texts = append(texts, c.Text)
		for fam, v := range c.IDs {
			ids[fam] = append(ids[fam], v.Plain)
		}
	}
	return texts, ids
}

// interopPrep is one family's model, its GGUF exports and our logits.
type interopPrep struct {
	tc     interopCase
	cfg    *model.Config
	prompt []int32
	ours   [][]float32
	files  []string
	// With an adapter: our engine's logits with LoRA applied, and the
	// llama.cpp runs (base + LoRA GGUF, merged GGUF) to compare with them.
	oursLoRA   [][]float32
	loraModels []llamaCppModel
	// tok is Whetstone's own tokenizer for the same files.
	tok *tokenizer.Tokenizer
}

func prepareInterop(t *testing.T, tc interopCase) *interopPrep {
	tokDir := sharedtest.Path(t, "refsets", "visible", "tokenizers", tc.family)
	cfg := tc.config(t)
	m, err := model.NewRandom(cfg, 42, model.Options{})
	require.NoError(t, err)
	base := filepath.Join(t.TempDir(), "base")
	require.NoError(t, m.SaveCheckpoint(base))
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		require.NoError(t, copyFile(filepath.Join(tokDir, f), filepath.Join(base, f)))
	}
	p := &interopPrep{tc: tc, cfg: cfg}
	p.tok, err = tokenizer.Load(base)
	require.NoError(t, err)
	if tc.family != "qwen3" {
		p.prompt = append(p.prompt, int32(cfg.BOSTokenID))
	}
	_, refIDs := referenceTexts(t)
	for _, id := range refIDs[tc.family][2][:7] { // "The quick brown fox jumps over the ..."
		p.prompt = append(p.prompt, int32(id))
	}
	p.ours, err = m.Logits(p.prompt)
	require.NoError(t, err)
	for _, quant := range tc.quants {
		out := filepath.Join(t.TempDir(), "gguf-"+quant)
		start := time.Now()
		_, err := Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out, Quant: quant, Name: "tiny"})
		require.NoError(t, err)
		t.Logf("%s GGUF %s export of %d parameters: %s", tc.family, quant, cfg.NumParams(), time.Since(start).Round(time.Millisecond))
		f, _ := filepath.Glob(filepath.Join(out, "*.gguf"))
		require.Len(t, f, 1)
		p.files = append(p.files, f[0])
	}
	if tc.lora {
		p.addLoRA(t, m, base)
	}
	return p
}

// addLoRA attaches adapters on every projection with random non-zero B,
// records the engine's logits with them, saves them as PEFT and exports
// them as a LoRA GGUF and as a merged GGUF.
func (p *interopPrep) addLoRA(t *testing.T, m *model.Model, base string) {
	require.NoError(t, m.AddLoRA(model.LoRAConfig{Rank: 4, Alpha: 8, Seed: 7}))
	state, err := m.LoRAState()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(9, 9))
	ad := &adapter.Adapter{Config: adapter.NewAdapterConfig("tiny", 4, 8, 0, model.AllLinear, false), Layers: map[string]*adapter.LoRA{}}
	for i := range state {
		module, which, err := adapter.ParseTensorName(state[i].Name)
		require.NoError(t, err)
		l := ad.Layers[module]
		if l == nil {
			l = &adapter.LoRA{Module: module, R: 4}
			ad.Layers[module] = l
		}
		if which == "B" {
			for j := range state[i].Data {
				state[i].Data[j] = float32(rng.NormFloat64() * 0.2)
			}
			l.B, l.Out = state[i].Data, state[i].Shape[0]
		} else {
			l.A, l.In = state[i].Data, state[i].Shape[1]
		}
	}
	require.NoError(t, m.SetLoRAState(state))
	p.oursLoRA, err = m.Logits(p.prompt)
	require.NoError(t, err)
	adDir := filepath.Join(t.TempDir(), "adapter")
	require.NoError(t, adapter.WriteAdapter(adDir, ad, false))

	loraOut := filepath.Join(t.TempDir(), "lora")
	_, err = Run(context.Background(), Request{Format: FormatGGUFLoRA, BaseDir: base, AdapterDir: adDir, OutDir: loraOut, Name: "tiny"})
	require.NoError(t, err)
	mergedOut := filepath.Join(t.TempDir(), "merged")
	_, err = Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, AdapterDir: adDir, OutDir: mergedOut, Quant: "f32", Name: "tiny"})
	require.NoError(t, err)
	p.loraModels = []llamaCppModel{
		{path: p.files[0], lora: filepath.Join(loraOut, LoRAGGUFFileName("tiny", gguf.TensorF32)), tokens: p.prompt},
		{path: filepath.Join(mergedOut, GGUFFileName("tiny", gguf.TensorF32)), tokens: p.prompt},
	}
}

func (p *interopPrep) compare(t *testing.T, texts []string, want [][]int, results []llamaCppOutput) {
	tc, cfg, prompt, ours := p.tc, p.cfg, p.prompt, p.ours
	// Tokenization: llama.cpp's tokenizer, driven by the vocabulary we
	// embedded, gives Hugging Face's ids.
	wantType := map[string]string{"gemma3": "spm", "llama3": "bpe", "qwen3": "bpe"}[tc.family]
	require.Equal(t, wantType, strings.ToLower(results[0].VocabularyType))
	require.Len(t, results[0].TextTokens, len(texts))
	require.Len(t, want, len(texts))
	mismatches := 0
	for i := range texts {
		if fmt.Sprint(want[i]) != fmt.Sprint(results[0].TextTokens[i]) {
			mismatches++
			if knownLlamaCppDeviation(tc.family, texts[i]) {
				t.Logf("known llama.cpp deviation for %.40q: llama.cpp %.200s, Hugging Face %.200s", texts[i], fmt.Sprint(results[0].TextTokens[i]), fmt.Sprint(want[i]))
				continue
			}
			t.Errorf("tokenization of %.80q: llama.cpp %.300s, Hugging Face %.300s", texts[i], fmt.Sprint(results[0].TextTokens[i]), fmt.Sprint(want[i]))
		}
	}
	t.Logf("%s tokenization: %d/%d reference texts identical", tc.family, len(texts)-mismatches, len(texts))
	// Whetstone's tokenizer agrees with both on every text.
	for i, text := range texts {
		if got := p.tok.Encode(text, false); fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("Whetstone's tokenizer on %.80q: %.300s, Hugging Face %.300s", text, fmt.Sprint(got), fmt.Sprint(want[i]))
		}
	}

	for qi, quant := range tc.quants {
		res := results[qi]
		compareLogits(t, tc.family+" "+quant, quant, ours, res.Logits, cfg.VocabSize)
	}
	if p.oursLoRA == nil {
		return
	}
	// The adapter must change the logits, or the comparison below proves
	// nothing.
	var change float64
	for pos := range prompt {
		for v := range ours[pos] {
			change = math.Max(change, math.Abs(float64(ours[pos][v]-p.oursLoRA[pos][v])))
		}
	}
	t.Logf("%s: the adapter changes logits by up to %.3g", tc.family, change)
	require.Greater(t, change, 0.1)
	n := len(tc.quants)
	compareLogits(t, tc.family+" base+LoRA GGUF", "f32", p.oursLoRA, results[n].Logits, cfg.VocabSize)
	compareLogits(t, tc.family+" merged GGUF", "f32", p.oursLoRA, results[n+1].Logits, cfg.VocabSize)
}

// compareLogits checks llama.cpp's logits against ours with the tolerance
// of the storage type.
func compareLogits(t *testing.T, label, quant string, ours, theirs [][]float32, vocab int) {
	t.Helper()
	require.Len(t, theirs, len(ours), label)
	var maxDiff, maxAbs float64
	top1Equal := 0
	for pos := range ours {
		require.Len(t, theirs[pos], vocab, "%s position %d", label, pos)
		if argmax32(ours[pos]) == argmax32(theirs[pos]) {
			top1Equal++
		}
		for v := range ours[pos] {
			maxDiff = math.Max(maxDiff, math.Abs(float64(ours[pos][v])-float64(theirs[pos][v])))
			maxAbs = math.Max(maxAbs, math.Abs(float64(ours[pos][v])))
		}
	}
	t.Logf("%s: top-1 equal at %d/%d positions, max |Δlogit| %.3g (max |logit| %.3g)", label, top1Equal, len(ours), maxDiff, maxAbs)
	// llama.cpp keeps its KV cache in f16, so even f32 weights differ from
	// our float32 engine by ~1e-3 relative.
	switch quant {
	case "f32":
		require.Equal(t, len(ours), top1Equal, label)
		require.Less(t, maxDiff, 2e-3*math.Max(1, maxAbs), label)
	case "f16":
		require.Equal(t, len(ours), top1Equal, label)
		require.Less(t, maxDiff, 1e-2*math.Max(1, maxAbs), label)
	case "q8_0":
		require.GreaterOrEqual(t, top1Equal, len(ours)*3/4, label)
		require.Less(t, maxDiff, 0.1*math.Max(1, maxAbs), label)
	case "dequantized":
		// Same weights on both sides; llama.cpp still rounds activations
		// to 8 bits in quantized dot products.
		require.Equal(t, len(ours), top1Equal, label)
		require.Less(t, maxDiff, 0.04*math.Max(1, maxAbs), label)
	case "q4_k":
		require.GreaterOrEqual(t, top1Equal, len(ours)/2, label)
		require.Less(t, maxDiff, 0.5*math.Max(1, maxAbs), label)
	}
}

func argmax32(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// TestLlamaCppQ4K checks the Q4_K encoding against llama.cpp's decoder: a
// tiny Gemma 3 whose matrices are whole 256-value super-blocks (hidden 256)
// with a toy vocabulary, exported in f32 and q4_k.
func TestLlamaCppQ4K(t *testing.T) {
	if testing.Short() {
		t.Skip("llama.cpp interop test skipped in -short mode")
	}
	node, script := llamaCppCheck(t)
	cfg := toyGemma3(t, 256, 4, 2, 64)
	m, err := model.NewRandom(cfg, 3, model.Options{})
	require.NoError(t, err)
	base := filepath.Join(t.TempDir(), "base")
	require.NoError(t, m.SaveCheckpoint(base))
	writeByteFallbackTokenizer(t, base)
	prompt := []int32{2, 260, 261, 262, 263, 264, 265, 100, 261, 262}
	ours, err := m.Logits(prompt)
	require.NoError(t, err)

	var models []llamaCppModel
	for _, quant := range []string{"f32", "q4_k"} {
		out := filepath.Join(t.TempDir(), quant)
		_, err := Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out, Quant: quant, Name: "tiny"})
		require.NoError(t, err)
		qt, _ := gguf.ParseTensorType(quant)
		path := filepath.Join(out, GGUFFileName("tiny", qt))
		if quant == "q4_k" {
			f, err := gguf.Open(path)
			require.NoError(t, err)
			info, _ := f.Tensor("blk.0.ffn_down.weight")
			require.Equal(t, gguf.TensorQ4_K, info.Type)
			f.Close()
		}
		models = append(models, llamaCppModel{path: path, tokens: prompt})
	}
	res := runLlamaCpp(t, node, script, models, nil)
	compareLogits(t, "toy gemma3 f32", "f32", ours, res[0].Logits, cfg.VocabSize)
	compareLogits(t, "toy gemma3 q4_k", "q4_k", ours, res[1].Logits, cfg.VocabSize)

	// Our engine on the weights our own Q4_K decoder returns must agree
	// with llama.cpp on the Q4_K file much more closely than with the
	// original weights: both decode the blocks the same way (what remains is
	// llama.cpp quantizing activations to 8 bits in its Q4_K dot products).
	deq := filepath.Join(t.TempDir(), "dequantized")
	require.NoError(t, os.MkdirAll(deq, 0o755))
	ck, err := safetensors.OpenDir(base)
	require.NoError(t, err)
	var tensors []safetensors.Tensor
	for _, name := range ck.Names() {
		info, _ := ck.Info(name)
		vals, err := ck.Float32(name)
		require.NoError(t, err)
		dims := make([]uint64, len(info.Shape))
		for i, d := range info.Shape {
			dims[len(dims)-1-i] = uint64(d)
		}
		typ := ggufTensorType(gguf.TensorQ4_K, dims)
		enc, err := gguf.Encode(typ, vals)
		require.NoError(t, err)
		vals, err = gguf.Decode(typ, enc, len(vals))
		require.NoError(t, err)
		st, err := safetensors.FromFloat32(name, safetensors.F32, info.Shape, vals)
		require.NoError(t, err)
		tensors = append(tensors, st)
	}
	ck.Close()
	require.NoError(t, safetensors.WriteFile(filepath.Join(deq, "model.safetensors"), tensors, nil))
	require.NoError(t, copyFile(filepath.Join(base, "config.json"), filepath.Join(deq, "config.json")))
	md, err := model.Load(deq, model.Options{})
	require.NoError(t, err)
	oursDeq, err := md.Logits(prompt)
	require.NoError(t, err)
	compareLogits(t, "toy gemma3 q4_k vs our dequantized weights", "dequantized", oursDeq, res[1].Logits, cfg.VocabSize)
}

// toyGemma3 is a two-layer Gemma 3 text config over the 266-token
// vocabulary of writeByteFallbackTokenizer.
func toyGemma3(t *testing.T, hidden, heads, kvHeads, headDim int) *model.Config {
	return hfConfig(t, map[string]any{
		"model_type": "gemma3_text", "vocab_size": 266, "hidden_size": hidden, "intermediate_size": 2 * hidden,
		"num_hidden_layers": 2, "num_attention_heads": heads, "num_key_value_heads": kvHeads, "head_dim": headDim,
		"query_pre_attn_scalar": headDim, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
		"sliding_window": 512, "layer_types": []string{"sliding_attention", "sliding_attention"},
		"max_position_embeddings": 1024, "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": true,
		"bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0,
	})
}

// writeByteFallbackTokenizer writes a SentencePiece-style vocabulary of 266
// tokens: four specials, the 256 byte-fallback tokens llama.cpp expects
// (it looks up <0x0A> for newlines), "▁" and five letters.
func writeByteFallbackTokenizer(t *testing.T, dir string) {
	t.Helper()
	vocab := map[string]int{"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
	for b := 0; b < 256; b++ {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 4 + b
	}
	for i, s := range []string{"\u2581", "a", "b", "c", "d", "e"} {
		vocab[s] = 260 + i
	}
	writeJSON(t, filepath.Join(dir, "tokenizer.json"), map[string]any{
		"added_tokens": []map[string]any{
			{"id": 0, "content": "<pad>", "special": true}, {"id": 1, "content": "<eos>", "special": true},
			{"id": 2, "content": "<bos>", "special": true}, {"id": 3, "content": "<unk>", "special": true},
		},
		"normalizer": map[string]any{"type": "Replace", "pattern": map[string]string{"String": " "}, "content": "\u2581"},
		"model":      map[string]any{"type": "BPE", "byte_fallback": true, "unk_token": "<unk>", "vocab": vocab, "merges": []string{}},
	})
	writeJSON(t, filepath.Join(dir, "tokenizer_config.json"), map[string]any{"add_bos_token": true, "bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"})
}
