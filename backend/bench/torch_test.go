package bench

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePython writes an executable standing in for python3: it records its
// arguments and prints what torch_lora_ref.py prints.
func fakePython(t *testing.T, output string) (python, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	python = filepath.Join(dir, "python3")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\ncat <<'OUT'\n" + output + "OUT\n"
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return python, argsFile
}

func TestRunTorchParsesTheReference(t *testing.T) {
	python, argsFile := fakePython(t, "step 0 loss=9.1 time=900ms\nparams frozen=1 trainable=2\npeak_rss_mb=800\nmedian_step_ms=1000.0 tokens_per_s=1024.0\n")
	c, _ := Lookup("5m")
	ref, err := RunTorch(context.Background(), python, "ref.py", c, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ref.TokensPerS != 1024 || ref.PeakRSSMB != 800 || ref.MedianStepMS != 1000 {
		t.Errorf("parsed %+v", ref)
	}
	args, _ := os.ReadFile(argsFile)
	for _, want := range []string{"ref.py", "--vocab 8192", "--hidden 256", "--layers 3", "--heads 4", "--kv 1", "--hd 64", "--inter 1024", "--seq 256", "--batch 4", "--r 8", "--steps 5", "--threads 1"} {
		if !strings.Contains(string(args), want) {
			t.Errorf("reference called with %q, missing %q", args, want)
		}
	}
	ref.Compare(Result{TokensPerS: 3072, PeakRSSMB: 400})
	if math.Abs(ref.SpeedRatio-3) > 1e-9 || math.Abs(ref.MemoryRatio-0.5) > 1e-9 {
		t.Errorf("ratios %g %g, want 3 and 0.5", ref.SpeedRatio, ref.MemoryRatio)
	}
}

func TestRunTorchErrors(t *testing.T) {
	c, _ := Lookup("tiny")
	python, _ := fakePython(t, "Traceback: no module named torch\n")
	if _, err := RunTorch(context.Background(), python, "ref.py", c, 1, 0); err == nil || !strings.Contains(err.Error(), "tokens_per_s") {
		t.Errorf("output without figures: error %v", err)
	}
	if _, err := RunTorch(context.Background(), filepath.Join(t.TempDir(), "missing"), "ref.py", c, 1, 0); err == nil {
		t.Error("missing interpreter: no error")
	}
}

func TestReadFileRejectsOtherSchemas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.json")
	writeTestFile(t, path, []byte(`{"schema": "whetstone.bench/v0", "results": []}`))
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), "whetstone.bench/v0") {
		t.Errorf("error %v, want one naming the schema", err)
	}
	writeTestFile(t, path, []byte(`not json`))
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming the file", err)
	}
}

func TestConfigsMatchModelPresets(t *testing.T) {
	for _, c := range Configs() {
		mc, err := c.ModelConfig()
		if err != nil {
			t.Fatal(err)
		}
		if mc.NumParams() <= 0 || c.TokensPerStep() != c.Seq*c.Batch {
			t.Errorf("%s: params %d tokens/step %d", c.Name, mc.NumParams(), c.TokensPerStep())
		}
	}
	if _, err := Lookup("huge"); err == nil || !strings.Contains(err.Error(), "tiny") {
		t.Errorf("unknown config error %v should list the known ones", err)
	}
}

func TestTorchDifference(t *testing.T) {
	for _, name := range []string{"tiny", "5m", "30m"} {
		c, _ := Lookup(name)
		if d := TorchDifference(c); d != "" {
			t.Errorf("%s: %q, want no difference (rows within the window)", name, d)
		}
	}
	c, _ := Lookup("gemma3-1b")
	if d := TorchDifference(c); !strings.Contains(d, "no sliding window") {
		t.Errorf("gemma3-1b: %q", d)
	}
}
