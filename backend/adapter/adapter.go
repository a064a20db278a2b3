// Package adapter owns the PEFT LoRA adapter: its adapter_config.json,
// its tensor names, reading and writing its folder, and the LoRA scale.
// Training writes adapters in this format, chat reads them and export
// converts them (merged, GGUF), all through this package.
package adapter

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// File names of a PEFT adapter directory.
const (
	AdapterConfigFile  = "adapter_config.json"
	AdapterWeightsFile = "adapter_model.safetensors"
)

// peftPrefix is how PEFT's LoraModel wraps the base model's module paths
// in saved tensor names.
const peftPrefix = "base_model.model."

// AdapterConfig is adapter_config.json with the fields PEFT's LoraConfig
// reads. Fields we do not support (DoRA, rank patterns) are still written
// with their neutral values so PEFT does not fall back to surprising
// defaults.
type AdapterConfig struct {
	PeftType              string             `json:"peft_type"`
	TaskType              string             `json:"task_type"`
	BaseModelNameOrPath   string             `json:"base_model_name_or_path"`
	Revision              *string            `json:"revision"`
	R                     int                `json:"r"`
	LoraAlpha             float64            `json:"lora_alpha"`
	LoraDropout           float64            `json:"lora_dropout"`
	TargetModules         []string           `json:"target_modules"`
	Bias                  string             `json:"bias"`
	FanInFanOut           bool               `json:"fan_in_fan_out"`
	UseRSLoRA             bool               `json:"use_rslora"`
	UseDoRA               bool               `json:"use_dora"`
	ModulesToSave         []string           `json:"modules_to_save"`
	InitLoraWeights       bool               `json:"init_lora_weights"`
	InferenceMode         bool               `json:"inference_mode"`
	LayersToTransform     []int              `json:"layers_to_transform"`
	LayersPattern         *string            `json:"layers_pattern"`
	RankPattern           map[string]int     `json:"rank_pattern"`
	AlphaPattern          map[string]float64 `json:"alpha_pattern"`
	LayerReplication      any                `json:"layer_replication"`
	MegatronConfig        any                `json:"megatron_config"`
	MegatronCore          string             `json:"megatron_core"`
	LoftqConfig           map[string]any     `json:"loftq_config"`
	AutoMapping           any                `json:"auto_mapping"`
	EvaPConfig            any                `json:"eva_config,omitempty"`
	ExcludeModules        any                `json:"exclude_modules,omitempty"`
	UseQALoRA             bool               `json:"use_qalora,omitempty"`
	TargetParameters      any                `json:"target_parameters,omitempty"`
	TrainableTokenIndices any                `json:"trainable_token_indices,omitempty"`
}

// NewAdapterConfig fills the PEFT defaults for a causal-LM LoRA.
func NewAdapterConfig(base string, r int, alpha, dropout float64, targets []string, rslora bool) AdapterConfig {
	return AdapterConfig{
		PeftType: "LORA", TaskType: "CAUSAL_LM", BaseModelNameOrPath: base,
		R: r, LoraAlpha: alpha, LoraDropout: dropout, TargetModules: targets,
		Bias: "none", UseRSLoRA: rslora, InitLoraWeights: true, InferenceMode: true,
		RankPattern: map[string]int{}, AlphaPattern: map[string]float64{},
		MegatronCore: "megatron.core", LoftqConfig: map[string]any{},
	}
}

// Scale is the factor LoRA applies to B·A: alpha/r, or alpha/sqrt(r) with
// rank-stabilised LoRA (0 for a rank that is not positive). It is the one
// definition every package uses (runconfig, model, export).
func Scale(alpha float64, r int, rslora bool) float64 {
	if r <= 0 {
		return 0
	}
	if rslora {
		return alpha / math.Sqrt(float64(r))
	}
	return alpha / float64(r)
}

// Scale is the factor PEFT applies to B·A (see Scale).
func (c AdapterConfig) Scale() float64 { return Scale(c.LoraAlpha, c.R, c.UseRSLoRA) }

// Validate rejects configurations whose weights we could not apply
// faithfully.
func (c AdapterConfig) Validate() error {
	if c.PeftType != "" && c.PeftType != "LORA" {
		return fmt.Errorf("peft_type %q is not supported (only LORA)", c.PeftType)
	}
	if c.R <= 0 {
		return fmt.Errorf("r must be positive, got %d", c.R)
	}
	if c.UseDoRA {
		return fmt.Errorf("use_dora: DoRA adapters are not supported")
	}
	if c.FanInFanOut {
		return fmt.Errorf("fan_in_fan_out: transposed (Conv1D) adapters are not supported")
	}
	if len(c.RankPattern) > 0 || len(c.AlphaPattern) > 0 {
		return fmt.Errorf("rank_pattern/alpha_pattern: per-module ranks are not supported")
	}
	if c.Bias != "" && c.Bias != "none" {
		return fmt.Errorf("bias %q: trained biases are not supported (want none)", c.Bias)
	}
	if _, err := NormalizeModules(c.ModulesToSave); err != nil {
		return err
	}
	return nil
}

// LoRA is one adapted linear layer: W' = W + scale·B·A with A of shape
// [R, In] and B of shape [Out, R], both row-major.
type LoRA struct {
	// Module is the base module path, e.g. "model.layers.0.self_attn.q_proj".
	Module  string
	R       int
	In, Out int
	A, B    []float32
}

// Adapter is a LoRA adapter in memory: its PEFT config, its layers and
// the base modules it trained whole (Config.ModulesToSave), by short name.
type Adapter struct {
	Config AdapterConfig
	Layers map[string]*LoRA
	// Saved are the modules_to_save weights by short name.
	Saved map[string]*Module
}

// Modules returns the adapted module paths in sorted order.
func (a *Adapter) Modules() []string {
	out := make([]string, 0, len(a.Layers))
	for m := range a.Layers {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Delta returns scale·B·A, the update to add to the base weight [Out, In].
func (l *LoRA) Delta(scale float64) []float32 {
	out := make([]float32, l.Out*l.In)
	s := float32(scale)
	for o := 0; o < l.Out; o++ {
		row := out[o*l.In : (o+1)*l.In]
		for k := 0; k < l.R; k++ {
			b := s * l.B[o*l.R+k]
			if b == 0 {
				continue
			}
			a := l.A[k*l.In : (k+1)*l.In]
			for i, av := range a {
				row[i] += b * av
			}
		}
	}
	return out
}

// TensorNames maps a module to its saved PEFT tensor names.
func TensorNames(module string) (a, b string) {
	return peftPrefix + module + ".lora_A.weight", peftPrefix + module + ".lora_B.weight"
}

// ReadAdapter loads a PEFT LoRA adapter directory. Tensor names with or
// without the adapter name ("lora_A.weight", "lora_A.default.weight") are
// accepted.
func ReadAdapter(dir string) (*Adapter, error) {
	cfgPath := filepath.Join(dir, AdapterConfigFile)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("read adapter: %w", err)
	}
	var cfg AdapterConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("read adapter %s: %w", cfgPath, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("adapter %s: %w", cfgPath, err)
	}
	wPath := filepath.Join(dir, AdapterWeightsFile)
	f, err := safetensors.Open(wPath)
	if err != nil {
		return nil, fmt.Errorf("read adapter weights: %w", err)
	}
	defer f.Close()
	ad := &Adapter{Config: cfg, Layers: map[string]*LoRA{}, Saved: map[string]*Module{}}
	for _, name := range f.Names() {
		if short, ok := parseModuleTensorName(name); ok {
			if ad.Saved[short] != nil {
				return nil, fmt.Errorf("adapter %s: two tensors hold module %s (the second is %q)", wPath, short, name)
			}
			info, _ := f.Info(name)
			vals := make([]float32, info.NumElements())
			if err := f.ReadFloat32(name, vals); err != nil {
				return nil, fmt.Errorf("adapter %s: %w", wPath, err)
			}
			ad.Saved[short] = &Module{Name: short, Shape: info.Shape, Data: vals}
			continue
		}
		module, which, err := ParseTensorName(name)
		if err != nil {
			return nil, fmt.Errorf("adapter %s: %w", wPath, err)
		}
		info, _ := f.Info(name)
		if len(info.Shape) != 2 {
			return nil, fmt.Errorf("adapter %s: tensor %q has shape %v, want 2 dimensions", wPath, name, info.Shape)
		}
		vals := make([]float32, info.NumElements())
		if err := f.ReadFloat32(name, vals); err != nil {
			return nil, fmt.Errorf("adapter %s: %w", wPath, err)
		}
		l := ad.Layers[module]
		if l == nil {
			l = &LoRA{Module: module}
			ad.Layers[module] = l
		}
		if which == "A" {
			l.A, l.R, l.In = vals, info.Shape[0], info.Shape[1]
		} else {
			l.B, l.Out = vals, info.Shape[0]
			if l.R == 0 {
				l.R = info.Shape[1]
			} else if l.R != info.Shape[1] {
				return nil, fmt.Errorf("adapter %s: %s lora_B rank %d differs from lora_A rank %d", wPath, module, info.Shape[1], l.R)
			}
		}
	}
	for _, m := range ad.Modules() {
		l := ad.Layers[m]
		if l.A == nil || l.B == nil {
			return nil, fmt.Errorf("adapter %s: module %s has only one of lora_A and lora_B", wPath, m)
		}
		if l.R != cfg.R || len(l.B) != l.Out*l.R {
			return nil, fmt.Errorf("adapter %s: module %s has rank %d (lora_B %d values for %d rows), config r is %d", wPath, m, l.R, len(l.B), l.Out, cfg.R)
		}
	}
	if err := ad.checkModules(); err != nil {
		return nil, fmt.Errorf("adapter %s: %w", wPath, err)
	}
	if len(ad.Layers) == 0 && len(ad.Saved) == 0 {
		return nil, fmt.Errorf("adapter %s: no LoRA tensors", wPath)
	}
	return ad, nil
}

// ParseTensorName splits a saved PEFT tensor name into its module path and
// which of lora_A and lora_B it is ("A" or "B").
func ParseTensorName(name string) (module, which string, err error) {
	rest, ok := strings.CutPrefix(name, peftPrefix)
	if !ok {
		return "", "", fmt.Errorf("tensor %q does not start with %q (not a PEFT LoRA adapter?)", name, peftPrefix)
	}
	for _, w := range []string{"A", "B"} {
		for _, suffix := range []string{".lora_" + w + ".weight", ".lora_" + w + ".default.weight"} {
			if m, ok := strings.CutSuffix(rest, suffix); ok {
				return m, w, nil
			}
		}
	}
	if strings.Contains(rest, "lora_embedding") || strings.Contains(rest, "lora_magnitude") {
		return "", "", fmt.Errorf("tensor %q: embedding LoRA and DoRA are not supported", name)
	}
	return "", "", fmt.Errorf("tensor %q is not a lora_A/lora_B weight", name)
}

// WriteFiles writes adapter_config.json and adapter_model.safetensors
// into dir (which the caller makes atomic). Weights are stored as F32, the
// dtype PEFT saves trained adapters in; trained modules under PEFT's names
// (ModuleTensorName).
func WriteFiles(dir string, ad *Adapter) error {
	if err := ad.Config.Validate(); err != nil {
		return fmt.Errorf("adapter config: %w", err)
	}
	var tensors []safetensors.Tensor
	for _, m := range ad.Modules() {
		l := ad.Layers[m]
		if len(l.A) != l.R*l.In || len(l.B) != l.Out*l.R {
			return fmt.Errorf("adapter module %s: A has %d values for [%d,%d], B has %d for [%d,%d]", m, len(l.A), l.R, l.In, len(l.B), l.Out, l.R)
		}
		an, bn := TensorNames(m)
		ta, err := safetensors.FromFloat32(an, safetensors.F32, []int{l.R, l.In}, l.A)
		if err != nil {
			return err
		}
		tb, err := safetensors.FromFloat32(bn, safetensors.F32, []int{l.Out, l.R}, l.B)
		if err != nil {
			return err
		}
		tensors = append(tensors, ta, tb)
	}
	if err := ad.checkModules(); err != nil {
		return fmt.Errorf("adapter: %w", err)
	}
	for _, n := range ad.SavedNames() {
		m := ad.Saved[n]
		t, err := safetensors.FromFloat32(ModuleTensorName(n), safetensors.F32, m.Shape, m.Data)
		if err != nil {
			return err
		}
		tensors = append(tensors, t)
	}
	if err := safetensors.WriteFile(filepath.Join(dir, AdapterWeightsFile), tensors, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	data, err := json.MarshalIndent(ad.Config, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", AdapterConfigFile, err)
	}
	return os.WriteFile(filepath.Join(dir, AdapterConfigFile), append(data, '\n'), 0o644)
}

// WriteAdapter saves an adapter as a PEFT directory (adapter_config.json +
// adapter_model.safetensors), atomically: dir is replaced only when the
// whole adapter is written. An existing non-empty dir is replaced only
// when overwrite is set, and only when Whetstone made it
// (safefile.ReplaceOwnedDir).
func WriteAdapter(dir string, ad *Adapter, overwrite bool) error {
	return safefile.ReplaceOwnedDir(dir, overwrite, func(tmp string) error { return WriteFiles(tmp, ad) })
}
