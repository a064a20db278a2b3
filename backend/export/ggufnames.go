package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// layerTensorNames maps a decoder layer's Hugging Face sub-module names to
// llama.cpp's (llama-arch.cpp) names. post_attention_layernorm means
// different things: Gemma 3 normalises the attention output with it, the
// others the MLP input.
var layerTensorNames = map[string]string{
	"input_layernorm":            "attn_norm",
	"self_attn.q_proj":           "attn_q",
	"self_attn.k_proj":           "attn_k",
	"self_attn.v_proj":           "attn_v",
	"self_attn.o_proj":           "attn_output",
	"self_attn.q_norm":           "attn_q_norm",
	"self_attn.k_norm":           "attn_k_norm",
	"pre_feedforward_layernorm":  "ffn_norm",
	"post_feedforward_layernorm": "post_ffw_norm",
	"mlp.gate_proj":              "ffn_gate",
	"mlp.up_proj":                "ffn_up",
	"mlp.down_proj":              "ffn_down",
}

// ggufTensorName returns llama.cpp's name for a Hugging Face tensor, or
// skip=true for tensors the text model does not use (vision tower, rotary
// caches, a tied lm_head).
func ggufTensorName(cfg *model.Config, hfName string) (name string, skip bool, err error) {
	n := model.TextModelName(hfName)
	switch {
	case n == "model.embed_tokens.weight":
		return "token_embd.weight", false, nil
	case n == "model.norm.weight":
		return "output_norm.weight", false, nil
	case n == "lm_head.weight":
		if cfg.TieWordEmbeddings {
			return "", true, nil
		}
		return "output.weight", false, nil
	case strings.HasPrefix(n, "vision_tower.") || strings.HasPrefix(n, "multi_modal_projector.") ||
		strings.HasPrefix(n, "model.vision_tower.") || strings.HasPrefix(n, "model.multi_modal_projector.") ||
		strings.HasSuffix(n, "rotary_emb.inv_freq"):
		return "", true, nil
	}
	rest, ok := strings.CutPrefix(n, "model.layers.")
	if !ok {
		return "", false, fmt.Errorf("tensor %s has no llama.cpp equivalent for %s", hfName, cfg.Arch)
	}
	idx, rest, ok := strings.Cut(rest, ".")
	layer, perr := strconv.Atoi(idx)
	if !ok || perr != nil || layer < 0 || layer >= cfg.NumLayers {
		return "", false, fmt.Errorf("tensor %s: bad layer index", hfName)
	}
	var suffix string
	for _, s := range []string{".weight", ".bias"} {
		if m, ok := strings.CutSuffix(rest, s); ok {
			rest, suffix = m, s
			break
		}
	}
	if suffix == "" {
		return "", false, fmt.Errorf("tensor %s is neither a weight nor a bias", hfName)
	}
	var g string
	if rest == "post_attention_layernorm" {
		g = "ffn_norm"
		if cfg.Arch == model.Gemma3 {
			g = "post_attention_norm"
		}
	} else if g, ok = layerTensorNames[rest]; !ok {
		return "", false, fmt.Errorf("tensor %s has no llama.cpp equivalent for %s", hfName, cfg.Arch)
	}
	return fmt.Sprintf("blk.%d.%s%s", layer, g, suffix), false, nil
}

// permuteRoPE reorders the rows of a Llama q_proj/k_proj weight (or bias)
// from Hugging Face's rotate-half layout to the interleaved pairs llama.cpp's
// "llama" architecture rotates: within each head, row j·hd/2+i moves to
// 2i+j.
func permuteRoPE(vals []float32, rows, cols, heads int) ([]float32, error) {
	if heads <= 0 || rows%heads != 0 || (rows/heads)%2 != 0 {
		return nil, fmt.Errorf("cannot permute %d rows into %d heads of even size", rows, heads)
	}
	hd := rows / heads
	half := hd / 2
	out := make([]float32, len(vals))
	for h := 0; h < heads; h++ {
		for j := 0; j < 2; j++ {
			for i := 0; i < half; i++ {
				src := h*hd + j*half + i
				dst := h*hd + 2*i + j
				copy(out[dst*cols:(dst+1)*cols], vals[src*cols:(src+1)*cols])
			}
		}
	}
	return out, nil
}
