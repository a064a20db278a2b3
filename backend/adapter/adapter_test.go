package adapter

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// smallAdapter has one module with distinct values in A and B.
func smallAdapter(r int) *Adapter {
	const in, out = 6, 5
	l := &LoRA{Module: "model.layers.0.self_attn.q_proj", R: r, In: in, Out: out, A: make([]float32, r*in), B: make([]float32, out*r)}
	for i := range l.A {
		l.A[i] = float32(i) / 10
	}
	for i := range l.B {
		l.B[i] = -float32(i) / 7
	}
	return &Adapter{Config: NewAdapterConfig("tiny", r, 16, 0, []string{"q_proj"}, false), Layers: map[string]*LoRA{l.Module: l}}
}

func TestWriteAdapterRoundTrips(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "adapter")
	ad := smallAdapter(4)
	ad.Config.UseRSLoRA = true
	require.NoError(t, WriteAdapter(dir, ad, false))
	back, err := ReadAdapter(dir)
	require.NoError(t, err)
	require.Equal(t, ad.Config, back.Config)
	require.Equal(t, ad.Layers, back.Layers)
	require.InDelta(t, 16/math.Sqrt(4), back.Config.Scale(), 1e-12)
	// An existing adapter is replaced only with overwrite.
	require.Error(t, WriteAdapter(dir, ad, false))
	require.NoError(t, WriteAdapter(dir, ad, true))
}

func TestScale(t *testing.T) {
	require.Equal(t, 2.0, Scale(16, 8, false))
	require.Equal(t, 4.0, Scale(16, 16, true))
	require.Equal(t, 0.0, Scale(16, 0, false))
}

func TestParseTensorName(t *testing.T) {
	a, b := TensorNames("model.layers.3.mlp.up_proj")
	for name, want := range map[string]string{a: "A", b: "B", strings.Replace(a, ".weight", ".default.weight", 1): "A"} {
		m, which, err := ParseTensorName(name)
		require.NoError(t, err)
		require.Equal(t, "model.layers.3.mlp.up_proj", m)
		require.Equal(t, want, which)
	}
	_, _, err := ParseTensorName("model.layers.3.mlp.up_proj.weight")
	require.ErrorContains(t, err, "not a PEFT LoRA adapter")
}

func TestReadAdapterRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteFiles(dir, smallAdapter(4)))
	cfgPath := filepath.Join(dir, AdapterConfigFile)

	data, _ := os.ReadFile(cfgPath)
	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(data), `"use_dora": false`, `"use_dora": true`, 1)), 0o644))
	_, err := ReadAdapter(dir)
	require.ErrorContains(t, err, "DoRA")
	require.ErrorContains(t, err, cfgPath)

	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(data), `"r": 4`, `"r": 8`, 1)), 0o644))
	_, err = ReadAdapter(dir)
	require.ErrorContains(t, err, "config r is 8")

	require.NoError(t, os.WriteFile(cfgPath, []byte("{"), 0o644))
	_, err = ReadAdapter(dir)
	require.ErrorContains(t, err, cfgPath)

	_, err = ReadAdapter(t.TempDir())
	require.ErrorContains(t, err, AdapterConfigFile)
}
