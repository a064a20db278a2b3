package model

import (
	"fmt"
	"strings"
)

// weightSpec is one base tensor: canonical Hugging Face name and shape.
type weightSpec struct {
	name  string
	shape []int
	// norm marks RMSNorm weights (initialized around 0 or 1, not randomly
	// like matrices) and bias marks projection biases.
	norm, bias bool
}

// size is the number of elements of the weight.
func (s weightSpec) size() int {
	n := 1
	for _, d := range s.shape {
		n *= d
	}
	return n
}

// Canonical (text-model) names. Checkpoints may prefix them; see
// checkpointPrefix.
const (
	embedName     = "model.embed_tokens.weight"
	finalNormName = "model.norm.weight"
	lmHeadName    = "lm_head.weight"
)

func layerName(i int, rest string) string { return fmt.Sprintf("model.layers.%d.%s", i, rest) }

// projModules maps each LoRA-targetable module to its place in a layer.
var projModules = map[string]string{
	"q_proj":    "self_attn.q_proj",
	"k_proj":    "self_attn.k_proj",
	"v_proj":    "self_attn.v_proj",
	"o_proj":    "self_attn.o_proj",
	"gate_proj": "mlp.gate_proj",
	"up_proj":   "mlp.up_proj",
	"down_proj": "mlp.down_proj",
}

// projShape returns [out, in] of a projection module.
func projShape(c *Config, module string) []int {
	q, kv := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	switch module {
	case "q_proj":
		return []int{q, c.HiddenSize}
	case "k_proj", "v_proj":
		return []int{kv, c.HiddenSize}
	case "o_proj":
		return []int{c.HiddenSize, q}
	case "gate_proj", "up_proj":
		return []int{c.IntermediateSize, c.HiddenSize}
	case "down_proj":
		return []int{c.HiddenSize, c.IntermediateSize}
	}
	panic("unknown module " + module)
}

// baseWeightShapes lists every base tensor of a configuration in a stable
// order (the order checkpoints are written in).
func baseWeightShapes(c *Config) []weightSpec {
	t := traitsFor(c.Arch)
	h := c.HiddenSize
	specs := []weightSpec{{name: embedName, shape: []int{c.VocabSize, h}}}
	for i := range c.NumLayers {
		specs = append(specs, weightSpec{name: layerName(i, "input_layernorm.weight"), shape: []int{h}, norm: true})
		for _, m := range []string{"q_proj", "k_proj", "v_proj", "o_proj"} {
			specs = append(specs, weightSpec{name: layerName(i, projModules[m]+".weight"), shape: projShape(c, m)})
		}
		if c.AttentionBias {
			for _, m := range []string{"q_proj", "k_proj", "v_proj"} {
				specs = append(specs, weightSpec{name: layerName(i, projModules[m]+".bias"), shape: projShape(c, m)[:1], bias: true})
			}
		}
		if c.QKNorm {
			specs = append(specs,
				weightSpec{name: layerName(i, "self_attn.q_norm.weight"), shape: []int{c.HeadDim}, norm: true},
				weightSpec{name: layerName(i, "self_attn.k_norm.weight"), shape: []int{c.HeadDim}, norm: true})
		}
		specs = append(specs, weightSpec{name: layerName(i, "post_attention_layernorm.weight"), shape: []int{h}, norm: true})
		if t.sandwichNorms {
			specs = append(specs,
				weightSpec{name: layerName(i, "pre_feedforward_layernorm.weight"), shape: []int{h}, norm: true},
				weightSpec{name: layerName(i, "post_feedforward_layernorm.weight"), shape: []int{h}, norm: true})
		}
		for _, m := range []string{"gate_proj", "up_proj", "down_proj"} {
			specs = append(specs, weightSpec{name: layerName(i, projModules[m]+".weight"), shape: projShape(c, m)})
		}
	}
	specs = append(specs, weightSpec{name: finalNormName, shape: []int{h}, norm: true})
	if !c.TieWordEmbeddings {
		specs = append(specs, weightSpec{name: lmHeadName, shape: []int{c.VocabSize, h}})
	}
	return specs
}

// checkpointNames maps canonical names to the names a checkpoint uses. Text
// checkpoints use canonical names; multimodal Gemma 3 ones nest the text
// model as "language_model.model." (transformers < 4.52) or
// "model.language_model." (later), with the head at "language_model.lm_head."
// or "lm_head.". The prefix is detected from where the embeddings are.
type checkpointNames struct {
	modelPrefix string // replaces "model."
	headPrefix  string // replaces "lm_head."
}

// nestings are the ways multimodal Gemma 3 checkpoints nest the text
// model's tensors, each with the canonical prefix it stands for. Loading,
// merging and GGUF naming all read them from here.
var nestings = []struct{ nested, canonical string }{
	{"model.language_model.", "model."},
	{"language_model.model.", "model."},
	{"language_model.lm_head.", "lm_head."},
}

// TextModelName maps a multimodal checkpoint's name of a text-model tensor
// to its canonical name ("language_model.model.layers.0.…" and
// "model.language_model.layers.0.…" to "model.layers.0.…"); any other name
// comes back as it is.
func TextModelName(name string) string {
	for _, n := range nestings {
		if rest, ok := strings.CutPrefix(name, n.nested); ok {
			return n.canonical + rest
		}
	}
	if rest, ok := strings.CutPrefix(name, "language_model."); ok {
		return rest
	}
	return name
}

// CheckpointNames lists the names a canonical tensor name may have in a
// checkpoint, the canonical one first.
func CheckpointNames(name string) []string {
	out := []string{name}
	for _, n := range nestings {
		if rest, ok := strings.CutPrefix(name, n.canonical); ok {
			out = append(out, n.nested+rest)
		}
	}
	if !strings.HasPrefix(name, "model.") && !strings.HasPrefix(name, "lm_head.") {
		out = append(out, "language_model."+name)
	}
	return out
}

func detectPrefix(names []string) (checkpointNames, error) {
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	for _, p := range []checkpointNames{
		{modelPrefix: "model.", headPrefix: "lm_head."},
		{modelPrefix: nestings[0].nested, headPrefix: "lm_head."},
		{modelPrefix: nestings[1].nested, headPrefix: nestings[2].nested},
	} {
		if has[p.modelPrefix+"embed_tokens.weight"] {
			return p, nil
		}
	}
	for _, n := range names {
		if strings.HasSuffix(n, "embed_tokens.weight") {
			return checkpointNames{}, fmt.Errorf("embeddings found at unsupported name %q", n)
		}
	}
	return checkpointNames{}, fmt.Errorf("no embed_tokens.weight tensor (looked for model., model.language_model. and language_model.model. prefixes)")
}

func (p checkpointNames) of(canonical string) string {
	if rest, ok := strings.CutPrefix(canonical, "model."); ok {
		return p.modelPrefix + rest
	}
	if rest, ok := strings.CutPrefix(canonical, "lm_head."); ok {
		return p.headPrefix + rest
	}
	return canonical
}
