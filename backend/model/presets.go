package model

import (
	"fmt"
	"sort"
)

// presets are the Gemma-3-shaped configurations the benchmarks and tests
// share (issue 10 fixes their sizes) plus the shape of Gemma 3 270M.
var presets = map[string]func() *Config{
	"tiny": func() *Config { return gemmaShape(512, 64, 2, 4, 2, 16, 128) },
	"5m":   func() *Config { return gemmaShape(8192, 256, 3, 4, 1, 64, 1024) },
	"30m":  func() *Config { return gemmaShape(16384, 512, 6, 8, 2, 64, 2048) },
	"gemma3-270m": func() *Config {
		c := gemmaShape(262144, 640, 18, 4, 1, 256, 2048)
		c.SlidingWindow = 512
		c.MaxPositionEmbeddings = 32768
		return c
	},
}

// Presets lists the preset names.
func Presets() []string {
	var out []string
	for k := range presets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Preset returns a fresh copy of a named configuration.
func Preset(name string) (*Config, error) {
	f, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("model: unknown preset %q (have %v)", name, Presets())
	}
	return f(), nil
}

// gemmaShape fills a Gemma 3 text config with the architecture's defaults.
func gemmaShape(vocab, hidden, layers, heads, kvHeads, headDim, mlp int) *Config {
	return &Config{
		Arch: Gemma3, ModelType: "gemma3_text",
		VocabSize: vocab, HiddenSize: hidden, IntermediateSize: mlp, NumLayers: layers,
		NumHeads: heads, NumKVHeads: kvHeads, HeadDim: headDim,
		RMSNormEps: 1e-6, RopeTheta: 1e6, RopeLocalTheta: 10000, MaxPositionEmbeddings: 8192,
		SlidingWindow: 512, LayerTypes: gemmaLayerTypes(layers, 6),
		AttnScale: invSqrt(float64(headDim)), TieWordEmbeddings: true, HiddenAct: "gelu_pytorch_tanh",
		QKNorm: true, BOSTokenID: 2, EOSTokenIDs: []int{1}, PadTokenID: 0, TorchDType: "float32",
	}
}
