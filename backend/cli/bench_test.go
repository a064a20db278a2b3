package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/bench"
)

func TestBenchCommandJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	file := filepath.Join(t.TempDir(), "bench.json")
	args := []string{"bench", "--config", "tiny", "--json", "--steps", "1", "--out", file,
		"--no-generate", "--no-tokenizer", "--no-dataset"}
	if err := Run(context.Background(), env, args); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"tokens_per_s", "peak_rss_mb"} {
		if v, ok := got[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, got[k])
		}
	}
	if got["schema"] != bench.Schema {
		t.Errorf("schema %v", got["schema"])
	}
	f, err := bench.ReadFile(file)
	if err != nil || len(f.Results) != 1 || f.Results[0].Config.Name != "tiny" {
		t.Fatalf("--out file: %+v, %v", f, err)
	}
}

func TestBenchCommandTableAndErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	args := []string{"bench", "--config", "tiny", "--steps", "1", "--no-generate", "--no-tokenizer", "--no-dataset"}
	if err := Run(context.Background(), env, args); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if s := out.String(); !strings.Contains(s, "train tok/s") || !strings.Contains(s, "tiny") {
		t.Errorf("table output:\n%s", s)
	}
	for _, bad := range [][]string{{"--config", "huge"}, {"--steps", "0"}, {"extra"}} {
		err := Run(context.Background(), env, append([]string{"bench"}, bad...))
		if !errors.Is(err, ErrUsage) {
			t.Errorf("bench %v: error %v, want a usage error", bad, err)
		}
	}
}

func TestBenchHelpListsRealSizeConfigs(t *testing.T) {
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	_ = Run(context.Background(), env, []string{"bench", "-h"})
	help := out.String() + errOut.String()
	for _, name := range []string{"tiny", "5m", "30m", "gemma3-270m", "gemma3-1b", "gemma3-4b"} {
		if !strings.Contains(help, name) {
			t.Errorf("bench -h does not list %s:\n%s", name, help)
		}
	}
}

// TestBenchTorchTimeoutIsASkip: a reference that does not finish within
// --torch-timeout is recorded as skipped, and the result still comes.
func TestBenchTorchTimeoutIsASkip(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "slow.sh")
	if err := os.WriteFile(script, []byte("exec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	args := []string{"bench", "--config", "tiny", "--json", "--steps", "1", "--no-generate", "--no-tokenizer", "--no-dataset",
		"--torch", script, "--python", "/bin/sh", "--torch-timeout", "10ms"}
	if err := Run(context.Background(), env, args); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var res bench.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Reference != nil || len(res.Notes) == 0 || !strings.Contains(strings.Join(res.Notes, " "), "PyTorch reference skipped") {
		t.Errorf("reference %+v, notes %q", res.Reference, res.Notes)
	}
	if res.Roofline == nil || res.Roofline.Fraction <= 0 || res.Estimate == nil || res.Estimate.Ratio <= 0 {
		t.Errorf("roofline %+v estimate %+v", res.Roofline, res.Estimate)
	}
}

// --attention-block forces the training graphs' attention path, and the
// result says which one ran.
func TestBenchAttentionBlockFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	args := []string{"bench", "--config", "tiny", "--json", "--steps", "1", "--attention-block", "32",
		"--no-generate", "--no-tokenizer", "--no-dataset"}
	if err := Run(context.Background(), env, args); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var got struct {
		Train struct {
			AttentionBlock int `json:"attention_block"`
		} `json:"train"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	if got.Train.AttentionBlock != 32 {
		t.Errorf("train.attention_block = %d, want the forced 32", got.Train.AttentionBlock)
	}
}

// TestBenchLlamaCpp runs llama.cpp beside our generation on the tiny
// config, through llama-bench (built by
// tools/llamacpp-check/build-llama-bench.sh) and through node-llama-cpp (as
// the GGUF interop test does): every storage we measure gets llama.cpp's
// figure for the same weights in the same run.
func TestBenchLlamaCpp(t *testing.T) {
	dir := filepath.Join("..", "..", "tools", "llamacpp-check")
	t.Run("llama-bench", func(t *testing.T) {
		exe := filepath.Join(dir, "llama.cpp", "build", "bin", "llama-bench")
		if _, err := os.Stat(exe); err != nil {
			t.Skipf("llama-bench is not built (run tools/llamacpp-check/build-llama-bench.sh): %v", err)
		}
		g := benchWithLlamaCpp(t, "--llama-cpp", exe)
		if !strings.HasPrefix(g.LlamaCppEngine, "llama.cpp llama-bench ") {
			t.Errorf("llama_cpp_engine = %q", g.LlamaCppEngine)
		}
	})
	t.Run("node-llama-cpp", func(t *testing.T) {
		node, err := exec.LookPath("node")
		if err != nil {
			t.Skip("node is not installed: skipping the node-llama-cpp side of bench (install Node.js and run `npm install --ignore-scripts` in tools/llamacpp-check)")
		}
		if err := (bench.LlamaCpp{Node: node, Path: dir}).Check(); err != nil {
			t.Skipf("skipping the node-llama-cpp side of bench: %v", err)
		}
		g := benchWithLlamaCpp(t, "--llama-cpp", dir, "--node", node)
		if !strings.HasPrefix(g.LlamaCppEngine, "llama.cpp (node-llama-cpp ") {
			t.Errorf("llama_cpp_engine = %q", g.LlamaCppEngine)
		}
	})
}

// benchWithLlamaCpp runs `bench --config tiny` with the given llama.cpp
// flags and checks its llama.cpp figures.
func benchWithLlamaCpp(t *testing.T, flags ...string) *bench.GenerateResult {
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	args := append([]string{"bench", "--config", "tiny", "--json", "--steps", "1", "--no-tokenizer", "--no-dataset"}, flags...)
	if err := Run(context.Background(), env, args); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var res bench.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one result: %v\n%s", err, out.String())
	}
	g := res.Generate
	if g == nil {
		t.Fatalf("no generation section:\n%s", out.String())
	}
	if g.Runs < 2 {
		t.Errorf("generate.runs = %d: the decode figures should average several timed runs, as llama-bench's do", g.Runs)
	}
	want := map[string]string{"float32": "f32", "bfloat16": "bf16", "int8": "q8_0"}
	if len(g.LlamaCpp) != len(want) {
		t.Errorf("llama_cpp has %d storages, want %d: %v", len(g.LlamaCpp), len(want), g.LlamaCpp)
	}
	for storage, quant := range want {
		l := g.LlamaCpp[storage]
		if l == nil {
			t.Errorf("llama_cpp.%s missing", storage)
			continue
		}
		if l.Quant != quant || l.TokensPerS <= 0 || l.PrefillMS <= 0 || l.FileMB <= 0 || l.WhetstoneTokensPerS <= 0 || l.WhetstonePrefillMS <= 0 {
			t.Errorf("llama_cpp.%s = %+v, want quant %s and positive figures", storage, *l, quant)
		}
		if math.Abs(l.Ratio-l.WhetstoneTokensPerS/l.TokensPerS) > 1e-9 {
			t.Errorf("llama_cpp.%s ratio %v, want %v", storage, l.Ratio, l.WhetstoneTokensPerS/l.TokensPerS)
		}
	}
	// The q8_0 file is the smallest, the f32 one the largest: each storage
	// really was exported in its own type.
	if f, q := g.LlamaCpp["float32"], g.LlamaCpp["int8"]; f != nil && q != nil && !(q.FileMB < f.FileMB) {
		t.Errorf("q8_0 file %.3f MB is not smaller than f32's %.3f MB", q.FileMB, f.FileMB)
	}
	return g
}

func TestBenchLlamaCppUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	missing := t.TempDir()
	for _, args := range [][]string{
		{"bench", "--config", "tiny", "--llama-cpp", missing},
		{"bench", "--config", "tiny", "--llama-cpp", missing, "--no-generate"},
	} {
		err := Run(context.Background(), env, args)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
	// The missing installation is named, with how to install it.
	err := Run(context.Background(), env, []string{"bench", "--config", "tiny", "--llama-cpp", missing})
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "npm install") {
		t.Errorf("error %v, want one naming %s and the install command", err, missing)
	}
	// A path that is neither a folder nor an executable.
	plain := filepath.Join(missing, "llama-bench")
	if err := os.WriteFile(plain, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), env, []string{"bench", "--config", "tiny", "--llama-cpp", plain})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "not executable") {
		t.Errorf("--llama-cpp %s: error %v, want a usage error saying it is not executable", plain, err)
	}
}
