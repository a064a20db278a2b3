package export

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
)

// llamaCppCheck locates tools/llamacpp-check (node-llama-cpp, installed
// with `npm ci` there) or skips the test saying what is missing.
func llamaCppCheck(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: skipping the llama.cpp interop test (install Node.js and run `npm ci` in tools/llamacpp-check)")
	}
	dir, err := filepath.Abs("../../tools/llamacpp-check")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-llama-cpp", "package.json")); err != nil {
		t.Skipf("node-llama-cpp is not installed in %s: skipping the llama.cpp interop test (run `npm ci` there)", dir)
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

func runLlamaCpp(t *testing.T, node, script string, models []string, texts []string, tokens []int32) []llamaCppOutput {
	t.Helper()
	args := []string{script, "--special"}
	for _, m := range models {
		args = append(args, "--model", m)
	}
	if texts != nil {
		p := filepath.Join(t.TempDir(), "texts.json")
		data, err := json.Marshal(texts)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		args = append(args, "--texts", p)
	}
	logitsDir := t.TempDir()
	if tokens != nil {
		args = append(args, "--logits-dir", logitsDir)
		s := make([]string, len(tokens))
		for i, tk := range tokens {
			s[i] = strconv.Itoa(int(tk))
		}
		args = append(args, "--tokens", strings.Join(s, ","))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
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
		if tokens == nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(logitsDir, fmt.Sprintf("%d.f32", i)))
		require.NoError(t, err)
		o := &out[i]
		require.Equal(t, len(tokens), o.Positions)
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

// TestLlamaCppLoadsGemma3GGUF is the interop test with an independent
// consumer: llama.cpp (prebuilt, via node-llama-cpp) loads our GGUF of a
// tiny random Gemma 3 with the real Gemma 3 tokenizer, tokenizes the shared
// reference texts like Hugging Face does, and computes the same next-token
// logits as our own engine.
func TestLlamaCppLoadsGemma3GGUF(t *testing.T) {
	node, script := llamaCppCheck(t)
	tokDir := sharedtest.Path(t, "refsets", "visible", "tokenizers", "gemma3")
	casesPath := sharedtest.Path(t, "refsets", "visible", "encode_cases.json")

	cfg, err := model.Preset("tiny")
	require.NoError(t, err)
	cfg.VocabSize = 262145 // the real tokenizer's size, so every id is valid
	m, err := model.NewRandom(cfg, 42, model.Options{})
	require.NoError(t, err)
	base := filepath.Join(t.TempDir(), "base")
	require.NoError(t, m.SaveCheckpoint(base))
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		require.NoError(t, copyFile(filepath.Join(tokDir, f), filepath.Join(base, f)))
	}

	var cases []encodeCase
	data, err := os.ReadFile(casesPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cases))
	var texts []string
	var want [][]int
	for _, c := range cases {
		if ids, ok := c.IDs["gemma3"]; ok && c.Text != "" {
			texts = append(texts, c.Text)
			want = append(want, ids.Plain)
		}
	}

	prompt := []int32{2}
	for _, id := range cases[3].IDs["gemma3"].Plain { // "The quick brown fox ..."
		prompt = append(prompt, int32(id))
	}
	ours, err := m.Logits(prompt)
	require.NoError(t, err)

	quants := []string{"f32", "f16", "q8_0"}
	var files []string
	for _, quant := range quants {
		out := filepath.Join(t.TempDir(), "gguf-"+quant)
		start := time.Now()
		_, err := Run(context.Background(), Request{Format: FormatGGUF, BaseDir: base, OutDir: out, Quant: quant, Name: "tiny"})
		require.NoError(t, err)
		t.Logf("GGUF %s export of %d parameters: %s", quant, cfg.NumParams(), time.Since(start).Round(time.Millisecond))
		f, _ := filepath.Glob(filepath.Join(out, "*.gguf"))
		require.Len(t, f, 1)
		files = append(files, f[0])
	}
	results := runLlamaCpp(t, node, script, files, texts, prompt)

	// Tokenization: llama.cpp's SentencePiece tokenizer, driven by the
	// vocabulary we embedded, gives Hugging Face's ids.
	require.Equal(t, "spm", strings.ToLower(results[0].VocabularyType))
	require.Len(t, results[0].TextTokens, len(texts))
	mismatches := 0
	for i := range texts {
		if fmt.Sprint(want[i]) != fmt.Sprint(results[0].TextTokens[i]) {
			mismatches++
			t.Errorf("tokenization of %.80q: llama.cpp %.200v, Hugging Face %.200v", texts[i], results[0].TextTokens[i], want[i])
		}
	}
	t.Logf("tokenization: %d/%d reference texts identical", len(texts)-mismatches, len(texts))

	for qi, quant := range quants {
		res := results[qi]
		require.Len(t, res.Logits, len(prompt), quant)
		var maxDiff, maxAbs float64
		top1Equal := 0
		for pos := range prompt {
			require.Len(t, res.Logits[pos], cfg.VocabSize, "%s position %d", quant, pos)
			if argmax32(ours[pos]) == argmax32(res.Logits[pos]) {
				top1Equal++
			}
			for v := range ours[pos] {
				maxDiff = math.Max(maxDiff, math.Abs(float64(ours[pos][v])-float64(res.Logits[pos][v])))
				maxAbs = math.Max(maxAbs, math.Abs(float64(ours[pos][v])))
			}
		}
		t.Logf("%s: top-1 equal at %d/%d positions, max |Δlogit| %.3g (max |logit| %.3g)", quant, top1Equal, len(prompt), maxDiff, maxAbs)
		// llama.cpp keeps its KV cache in f16, so even f32 weights differ
		// from our float32 engine by ~1e-3 relative.
		switch quant {
		case "f32":
			require.Equal(t, len(prompt), top1Equal, quant)
			require.Less(t, maxDiff, 2e-3*math.Max(1, maxAbs), quant)
		case "f16":
			require.Equal(t, len(prompt), top1Equal, quant)
			require.Less(t, maxDiff, 1e-2*math.Max(1, maxAbs), quant)
		case "q8_0":
			require.GreaterOrEqual(t, top1Equal, len(prompt)*3/4, quant)
			require.Less(t, maxDiff, 0.1*math.Max(1, maxAbs), quant)
		}
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
