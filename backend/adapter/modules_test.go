package adapter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// withModules adds trained embed_tokens and lm_head matrices [vocab, hidden].
func withModules(ad *Adapter, names ...string) *Adapter {
	ad.Saved = map[string]*Module{}
	for i, n := range names {
		m := &Module{Name: n, Shape: []int{7, 3}, Data: make([]float32, 21)}
		for j := range m.Data {
			m.Data[j] = float32(i*100+j) / 50
		}
		ad.Saved[n] = m
	}
	ad.Config.ModulesToSave = names
	return ad
}

// Trained modules are written under PEFT's names, listed in
// adapter_config.json, and read back.
func TestModulesRoundTripUnderPEFTNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "adapter")
	ad := withModules(smallAdapter(2), "embed_tokens", "lm_head")
	require.NoError(t, WriteAdapter(dir, ad, false))

	f, err := safetensors.Open(filepath.Join(dir, AdapterWeightsFile))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{
		"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
		"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
		"base_model.model.model.embed_tokens.weight",
		"base_model.model.lm_head.weight",
	}, f.Names())
	require.NoError(t, f.Close())
	var raw map[string]any
	data, err := os.ReadFile(filepath.Join(dir, AdapterConfigFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &raw))
	require.Equal(t, []any{"embed_tokens", "lm_head"}, raw["modules_to_save"])

	back, err := ReadAdapter(dir)
	require.NoError(t, err)
	require.Equal(t, ad.Saved, back.Saved)
	require.Equal(t, []string{"embed_tokens", "lm_head"}, back.SavedNames())
	require.Equal(t, ad.Layers, back.Layers)
}

// Names a state dict has before PEFT strips its wrapper, and multimodal
// nestings, are read as the module they name.
func TestParseModuleTensorName(t *testing.T) {
	for name, want := range map[string]string{
		"base_model.model.model.embed_tokens.weight":                             "embed_tokens",
		"base_model.model.lm_head.weight":                                        "lm_head",
		"base_model.model.lm_head.modules_to_save.default.weight":                "lm_head",
		"base_model.model.model.language_model.embed_tokens.weight":              "embed_tokens",
		"base_model.model.model.embed_tokens.modules_to_save.default.weight":     "embed_tokens",
		"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight":         "",
		"base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight": "",
		"model.embed_tokens.weight":                                              "",
	} {
		got, ok := parseModuleTensorName(name)
		require.Equal(t, want != "", ok, name)
		require.Equal(t, want, got, name)
	}
	for entry, want := range map[string]string{"embed_tokens": "embed_tokens", "model.embed_tokens": "embed_tokens", "lm_head": "lm_head"} {
		got, err := ModuleName(entry)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := ModuleName("model.norm")
	require.ErrorContains(t, err, `"model.norm"`)
	mods, err := NormalizeModules([]string{"lm_head", "model.embed_tokens", "embed_tokens"})
	require.NoError(t, err)
	require.Equal(t, []string{"embed_tokens", "lm_head"}, mods)
}

// The listed modules and the saved tensors must agree.
func TestModulesMustMatchConfig(t *testing.T) {
	ad := withModules(smallAdapter(2), "embed_tokens")
	ad.Config.ModulesToSave = []string{"embed_tokens", "lm_head"}
	require.ErrorContains(t, WriteFiles(t.TempDir(), ad), "no base_model.model.lm_head.weight tensor")

	ad = withModules(smallAdapter(2), "embed_tokens")
	ad.Config.ModulesToSave = nil
	require.ErrorContains(t, WriteFiles(t.TempDir(), ad), "does not list embed_tokens")

	ad = withModules(smallAdapter(2), "embed_tokens")
	ad.Config.ModulesToSave = []string{"norm"}
	require.ErrorContains(t, WriteFiles(t.TempDir(), ad), `"norm"`)

	// A config that lists a module the weights lack is refused on read.
	dir := t.TempDir()
	require.NoError(t, WriteFiles(dir, withModules(smallAdapter(2), "embed_tokens")))
	cfgPath := filepath.Join(dir, AdapterConfigFile)
	var cfg map[string]any
	data, _ := os.ReadFile(cfgPath)
	require.NoError(t, json.Unmarshal(data, &cfg))
	cfg["modules_to_save"] = []string{"embed_tokens", "lm_head"}
	data, _ = json.Marshal(cfg)
	require.NoError(t, os.WriteFile(cfgPath, data, 0o644))
	_, err := ReadAdapter(dir)
	require.ErrorContains(t, err, "modules_to_save lists lm_head")
}

func TestCheckTied(t *testing.T) {
	both := withModules(smallAdapter(2), "embed_tokens", "lm_head")
	require.NoError(t, both.CheckTied(false))
	require.ErrorContains(t, both.CheckTied(true), "different matrices")
	copy(both.Saved["lm_head"].Data, both.Saved["embed_tokens"].Data)
	require.NoError(t, both.CheckTied(true))
	require.ErrorContains(t, withModules(smallAdapter(2), "lm_head").CheckTied(true), "lm_head alone")
	require.NoError(t, smallAdapter(2).CheckTied(true))
}
