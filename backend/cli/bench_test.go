package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
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
