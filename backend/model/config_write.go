package model

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// WriteHF writes the configuration as dir/config.json (atomically).
func (c *Config) WriteHF(dir string) error {
	data, err := c.MarshalHF()
	if err != nil {
		return err
	}
	if err := safefile.Write(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// MarshalHF renders the configuration as a Hugging Face config.json that
// transformers (and ParseConfig) load as the same model.
func (c *Config) MarshalHF() ([]byte, error) {
	out := map[string]any{
		"model_type":              c.ModelType,
		"vocab_size":              c.VocabSize,
		"hidden_size":             c.HiddenSize,
		"intermediate_size":       c.IntermediateSize,
		"num_hidden_layers":       c.NumLayers,
		"num_attention_heads":     c.NumHeads,
		"num_key_value_heads":     c.NumKVHeads,
		"head_dim":                c.HeadDim,
		"rms_norm_eps":            c.RMSNormEps,
		"rope_theta":              c.RopeTheta,
		"max_position_embeddings": c.MaxPositionEmbeddings,
		"tie_word_embeddings":     c.TieWordEmbeddings,
		"attention_bias":          c.AttentionBias,
		"torch_dtype":             firstNonEmpty(c.TorchDType, "float32"),
	}
	if c.RopeScaling != nil {
		out["rope_scaling"] = c.RopeScaling
	} else {
		out["rope_scaling"] = nil
	}
	if c.BOSTokenID >= 0 {
		out["bos_token_id"] = c.BOSTokenID
	}
	if c.PadTokenID >= 0 {
		out["pad_token_id"] = c.PadTokenID
	}
	switch len(c.EOSTokenIDs) {
	case 0:
	case 1:
		out["eos_token_id"] = c.EOSTokenIDs[0]
	default:
		out["eos_token_id"] = c.EOSTokenIDs
	}
	switch c.Arch {
	case Gemma3:
		out["architectures"] = []string{"Gemma3ForCausalLM"}
		out["hidden_activation"] = c.HiddenAct
		out["query_pre_attn_scalar"] = math.Round(1/(c.AttnScale*c.AttnScale)*1e6) / 1e6
		out["rope_local_base_freq"] = c.RopeLocalTheta
		out["sliding_window"] = c.SlidingWindow
		out["layer_types"] = c.LayerTypes
		out["attn_logit_softcapping"] = nullIfZero(c.AttnLogitSoftcap)
		out["final_logit_softcapping"] = nullIfZero(c.FinalLogitSoftcap)
	case Llama:
		out["architectures"] = []string{"LlamaForCausalLM"}
		out["hidden_act"] = c.HiddenAct
		out["mlp_bias"] = false
	case Qwen2, Qwen3:
		if c.Arch == Qwen2 {
			out["architectures"] = []string{"Qwen2ForCausalLM"}
		} else {
			out["architectures"] = []string{"Qwen3ForCausalLM"}
		}
		out["hidden_act"] = c.HiddenAct
		out["use_sliding_window"] = c.SlidingWindow > 0
		if c.SlidingWindow > 0 {
			out["sliding_window"] = c.SlidingWindow
			out["layer_types"] = c.LayerTypes
		}
	default:
		return nil, fmt.Errorf("model: cannot write config for architecture %q", c.Arch)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("model: config.json: %w", err)
	}
	return append(data, '\n'), nil
}

func nullIfZero(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}
