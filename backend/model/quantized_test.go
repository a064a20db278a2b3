package model

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/whetstone-ai/whetstone/backend/quant"
)

// dequantizedCopy quantizes values as q would and returns what comes back.
func dequantizedCopy(t *testing.T, q string, vals []float32, shape []int) []float32 {
	t.Helper()
	switch q {
	case QuantNF4:
		s, err := quant.QuantizeNF4(vals, shape)
		if err != nil {
			t.Fatal(err)
		}
		return s.Dequantize()
	default:
		s, err := quant.QuantizeInt8(vals, shape)
		if err != nil {
			t.Fatal(err)
		}
		return s.Dequantize()
	}
}

// A quantized model keeps its projections only as quantized parts (no
// float variable of them is left), reads them back as the quant package
// dequantizes them, computes the logits of a float model holding those
// dequantized weights (so the in-graph dequantization is the host's), and
// leaves embeddings and norms as they were. The NF4 projections take at
// least 3.5x less memory than bf16 ones, measured on the stored tensors.
func TestQuantizedProjections(t *testing.T) {
	cfg, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewRandom(cfg, 7, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	bf16, err := NewRandom(cfg, 7, Options{StorageDType: dtypes.BFloat16})
	if err != nil {
		t.Fatal(err)
	}
	defer bf16.Close()
	tokens := []int32{3, 17, 5, 99, 42, 8, 1, 250}
	for _, q := range []string{QuantNF4, QuantInt8} {
		m, err := NewRandom(cfg, 7, Options{Quantization: q})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if m.Quantization() != q {
			t.Fatalf("Quantization() = %q, want %q", m.Quantization(), q)
		}
		// The float model gets the weights the quantized one dequantizes to.
		deq, err := NewRandom(cfg, 7, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer deq.Close()
		projections := 0
		for _, name := range m.BaseWeightNames() {
			w, err := ref.BaseWeight(name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.BaseWeight(name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(name, "_proj.weight") {
				if !slices.Equal(got.Data, w.Data) {
					t.Errorf("%s: %s is not a projection but changed", q, name)
				}
				continue
			}
			projections++
			if v := m.Store().GetVariable(baseScope + "/" + name); v != nil {
				t.Errorf("%s: %s still has a float variable", q, name)
			}
			want := dequantizedCopy(t, q, w.Data, w.Shape)
			if !slices.Equal(got.Data, want) || !slices.Equal(got.Shape, w.Shape) {
				t.Fatalf("%s: %s reads back other values than quantizing it gives", q, name)
			}
			if err := deq.base[name].SetValue(tensors.FromFlatDataAndDimensions(want, w.Shape...)); err != nil {
				t.Fatal(err)
			}
		}
		if projections != 7*cfg.NumLayers {
			t.Fatalf("%s: %d projections, want %d", q, projections, 7*cfg.NumLayers)
		}
		got, err := m.Logits(tokens)
		if err != nil {
			t.Fatal(err)
		}
		want, err := deq.Logits(tokens)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			for j := range want[i] {
				if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-4*(1+math.Abs(float64(want[i][j]))) {
					t.Fatalf("%s: logit [%d][%d] = %v, the float model with dequantized weights gives %v", q, i, j, got[i][j], want[i][j])
				}
			}
		}
		ratio := float64(bf16.ProjectionBytes()) / float64(m.ProjectionBytes())
		t.Logf("%s: projections take %d bytes, bf16 %d, float32 %d: %.2fx smaller than bf16",
			q, m.ProjectionBytes(), bf16.ProjectionBytes(), ref.ProjectionBytes(), ratio)
		if q == QuantNF4 && ratio < 3.5 {
			t.Errorf("NF4 projections are %.2fx smaller than bf16, want ≥ 3.5x", ratio)
		}
		if q == QuantInt8 && ratio < 1.8 {
			t.Errorf("int8 projections are %.2fx smaller than bf16, want ≥ 1.8x", ratio)
		}
	}
	if bf16.ProjectionBytes()*2 != ref.ProjectionBytes() {
		t.Errorf("bf16 projections take %d bytes, float32 %d: want half", bf16.ProjectionBytes(), ref.ProjectionBytes())
	}
}

// Loading a checkpoint quantizes as building a model does, and an unknown
// quantization is refused by name.
func TestLoadQuantized(t *testing.T) {
	cfg, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewRandom(cfg, 9, Options{StorageDType: dtypes.BFloat16})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	dir := filepath.Join(t.TempDir(), "m")
	if err := ref.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, Options{Quantization: QuantNF4})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	name := layerName(1, "mlp.down_proj.weight")
	w, err := ref.BaseWeight(name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.BaseWeight(name)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, dequantizedCopy(t, QuantNF4, w.Data, w.Shape)) {
		t.Errorf("loaded %s is not the NF4 of the checkpoint's values", name)
	}
	if _, err := Load(dir, Options{Quantization: "nf3"}); err == nil || !strings.Contains(err.Error(), `"nf3"`) {
		t.Errorf("quantization nf3: got %v, want an error naming it", err)
	}
}

// The quantized projections' hand-written gradient (the weight
// dequantized again in the backward pass) gives the LoRA gradients of a
// float model holding the dequantized weights, with and without gradient
// checkpointing.
func TestQuantizedGradients(t *testing.T) {
	for _, q := range []string{QuantNF4, QuantInt8} {
		m := tinyModel(t, "qwen3", 4, Options{Quantization: q})
		deq := tinyModel(t, "qwen3", 4, Options{})
		for name, v := range deq.base {
			if _, ok := m.qbase[name]; !ok {
				continue
			}
			w, err := m.BaseWeight(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(w.Data, w.Shape...)); err != nil {
				t.Fatal(err)
			}
		}
		for _, mm := range []*Model{m, deq} {
			if err := mm.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 2}); err != nil {
				t.Fatal(err)
			}
			randomizeLoRAB(t, mm, 4)
		}
		b := smallBatch(m.cfg.VocabSize)
		for _, ck := range []bool{false, true} {
			m.SetGradientCheckpointing(ck)
			deq.SetGradientCheckpointing(ck)
			l1, want := lossAndGrads(t, deq, b)
			l2, got := lossAndGrads(t, m, b)
			if math.Abs(float64(l1-l2)) > 1e-5 {
				t.Errorf("%s, checkpointing %v: loss %v, the dequantized float model's %v", q, ck, l2, l1)
			}
			for i, v := range m.TrainableVariables() {
				worst, scale := 0.0, 0.0
				for j := range want[i] {
					worst = math.Max(worst, math.Abs(float64(want[i][j]-got[i][j])))
					scale = math.Max(scale, math.Abs(float64(want[i][j])))
				}
				if scale == 0 || worst > 1e-6+1e-4*scale {
					t.Errorf("%s, checkpointing %v: %s gradient off by %g (largest %g)", q, ck, v.Name(), worst, scale)
				}
			}
		}
	}
}
