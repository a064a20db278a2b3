package model

import (
	"math"
	"strings"
	"testing"
)

func TestLoRAConfig(t *testing.T) {
	c := LoRAConfig{Rank: 16, Alpha: 32}
	if c.Scale() != 2 {
		t.Errorf("scale %g", c.Scale())
	}
	c.RSLoRA = true
	if c.Scale() != 8 {
		t.Errorf("rsLoRA scale %g, want alpha/sqrt(r) = 8", c.Scale())
	}
	m := tinyModel(t, "llama", 1, Options{})
	for _, bad := range []LoRAConfig{{Rank: 0, Alpha: 1}, {Rank: 2, Alpha: 0}, {Rank: 2, Alpha: 1, Dropout: 1},
		{Rank: 2, Alpha: 1, TargetModules: []string{"qkv"}}} {
		if err := m.AddLoRA(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// Fresh adapters leave the output unchanged (B = 0), A is bounded by
// 1/sqrt(in) like kaiming_uniform_(a=√5), names and shapes follow PEFT.
func TestFreshLoRAIsIdentityWithPEFTNames(t *testing.T) {
	m := tinyModel(t, "gemma3", 2, Options{})
	toks := testTokens(5, m.cfg.VocabSize, 1)
	before, _ := m.Logits(toks)
	if err := m.AddLoRA(LoRAConfig{Rank: 4, Alpha: 8, TargetModules: []string{"o_proj", "up_proj"}, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	after, err := m.Logits(toks)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(after, toFloat64(before)); d != 0 {
		t.Errorf("fresh adapters changed logits by %g", d)
	}
	st, _ := m.LoRAState()
	if len(st) != 2*2*m.cfg.NumLayers {
		t.Fatalf("%d tensors", len(st))
	}
	byName := map[string]HostTensor{}
	for _, h := range st {
		byName[h.Name] = h
	}
	a, ok := byName["base_model.model.model.layers.1.self_attn.o_proj.lora_A.weight"]
	if !ok || a.Shape[0] != 4 || a.Shape[1] != m.cfg.NumHeads*m.cfg.HeadDim {
		t.Fatalf("o_proj A: %v %v", ok, a.Shape)
	}
	bound := 1 / math.Sqrt(float64(a.Shape[1]))
	nonzero := 0
	for _, v := range a.Data {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("A value %g beyond %g", v, bound)
		}
		if v != 0 {
			nonzero++
		}
	}
	if nonzero < len(a.Data)/2 {
		t.Errorf("A mostly zeros")
	}
	b := byName["base_model.model.model.layers.0.mlp.up_proj.lora_B.weight"]
	if b.Shape[0] != m.cfg.IntermediateSize || b.Shape[1] != 4 {
		t.Errorf("up_proj B shape %v", b.Shape)
	}
	if err := m.SetLoRAState([]HostTensor{{Name: "nope", Shape: []int{1}}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown tensor: %v", err)
	}
	if err := m.SetLoRAState([]HostTensor{{Name: b.Name, Shape: []int{4, 4}, Data: make([]float32, 16)}}); err == nil {
		t.Error("wrong shape accepted")
	}
	// Merged weight = W + scale·B·A.
	randomizeLoRAB(t, m, 3)
	st, _ = m.LoRAState()
	for _, h := range st {
		byName[h.Name] = h
	}
	name := layerName(0, "mlp.up_proj.weight")
	w, _ := m.BaseWeight(name)
	merged, err := m.MergedWeight(name)
	if err != nil {
		t.Fatal(err)
	}
	A := byName["base_model.model.model.layers.0.mlp.up_proj.lora_A.weight"]
	B := byName["base_model.model.model.layers.0.mlp.up_proj.lora_B.weight"]
	o, i := 3, 5
	want := float64(w.Data[o*w.Shape[1]+i])
	for k := range 4 {
		want += 2 * float64(B.Data[o*4+k]) * float64(A.Data[k*w.Shape[1]+i])
	}
	if got := float64(merged.Data[o*w.Shape[1]+i]); math.Abs(got-want) > 1e-6 {
		t.Errorf("merged %g, want %g", got, want)
	}
}
