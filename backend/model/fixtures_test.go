package model

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var writeReference = flag.String("write-reference", "",
	"write tiny checkpoints and token sequences for testdata/gen_reference.py into this directory")

// TestWriteReferenceCheckpoints writes the inputs of gen_reference.py; it
// only runs when asked with -write-reference.
func TestWriteReferenceCheckpoints(t *testing.T) {
	if *writeReference == "" {
		t.Skip("pass -write-reference=DIR to write checkpoints for gen_reference.py")
	}
	for name := range tinyConfigs {
		m := tinyModel(t, name, 7, Options{})
		dir := filepath.Join(*writeReference, name)
		if err := m.SaveCheckpoint(dir); err != nil {
			t.Fatal(err)
		}
		seqs := [][]int32{testTokens(9, m.cfg.VocabSize, 1), testTokens(5, m.cfg.VocabSize, 2)}
		data, _ := json.Marshal(seqs)
		if err := os.WriteFile(filepath.Join(dir, "tokens.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestForwardMatchesTransformersFixtures compares with logits produced by
// Hugging Face transformers (testdata/gen_reference.py) for every fixture
// directory present under testdata/reference.
func TestForwardMatchesTransformersFixtures(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "reference", "*", "logits.json"))
	if len(dirs) == 0 {
		t.Skip("no transformers fixtures in testdata/reference (generate them with testdata/gen_reference.py)")
	}
	for _, lf := range dirs {
		dir := filepath.Dir(lf)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, err := Load(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var seqs [][]int32
			var ref struct {
				Logits [][][]float64 `json:"logits"`
			}
			readJSON(t, filepath.Join(dir, "tokens.json"), &seqs)
			readJSON(t, lf, &ref)
			for i, seq := range seqs {
				got, err := m.Logits(seq)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(got, ref.Logits[i]); d > 1e-4 {
					t.Errorf("sequence %d: max |logit diff| vs transformers = %g", i, d)
				}
			}
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestForwardMatchesTorchFixtures compares with logits computed by
// testdata/torch_reference.py: a float64 PyTorch implementation of the
// transformers forward pass, run on the checkpoints TestWriteReferenceCheckpoints
// writes (NewRandom is deterministic, so the weights are rebuilt here rather
// than committed).
func TestForwardMatchesTorchFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "torch", "*.json"))
	if len(files) != len(tinyConfigs) {
		t.Fatalf("found %d torch fixtures for %d tiny configs: regenerate them (see testdata/torch_reference.py)", len(files), len(tinyConfigs))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			var fx struct {
				Tokens [][]int32     `json:"tokens"`
				Logits [][][]float64 `json:"logits"`
			}
			readJSON(t, f, &fx)
			m := tinyModel(t, name, 7, Options{})
			for i, seq := range fx.Tokens {
				got, err := m.Logits(seq)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(got, fx.Logits[i]); d > 1e-4 {
					t.Errorf("sequence %d: max |logit diff| vs PyTorch = %g", i, d)
				}
			}
		})
	}
}
