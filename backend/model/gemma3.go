package model

import (
	"fmt"
	"math"
)

// Gemma 3 differs from the Llama-style decoder in these ways (from
// transformers' modeling_gemma3.py and llama.cpp's gemma3 graph):
//   - token embeddings are multiplied by sqrt(hidden_size);
//   - RMSNorm scales by (1 + weight), with weights stored as offsets from 1;
//   - every layer has four norms: input, post-attention (on the attention
//     output, before the residual add), pre-feed-forward and post-feed-forward;
//   - queries and keys get their own RMSNorm over head_dim before RoPE;
//   - scores are scaled by query_pre_attn_scalar^-0.5, not head_dim^-0.5;
//   - sliding-window layers use rope_local_base_freq, global layers
//     rope_theta with the optional rope_scaling; by default every 6th layer
//     is global;
//   - the MLP is GeGLU with the tanh approximation of GELU;
//   - the LM head is tied to the embeddings; optional soft-capping of
//     attention scores and final logits.
func gemma3Traits() archTraits {
	return archTraits{normOffset: 1, embedScale: true, sandwichNorms: true}
}

func gemma3Config(c *Config, r *rawConfig) error {
	c.Arch = Gemma3
	c.ModelType = "gemma3_text"
	c.RMSNormEps = optFloat(r.RMSNormEps, 1e-6)
	c.RopeTheta = optFloat(r.RopeTheta, 1e6)
	c.RopeLocalTheta = optFloat(r.RopeLocalBaseFreq, 10000)
	rs, err := parseRopeScaling(r.RopeScaling)
	if err != nil {
		return err
	}
	c.RopeScaling = rs
	c.AttnScale = invSqrt(optFloat(r.QueryPreAttnScalar, 256))
	c.AttnLogitSoftcap = optSoftcap(r.AttnLogitSoftcapping)
	c.FinalLogitSoftcap = optSoftcap(r.FinalLogitSoftcapping)
	c.TieWordEmbeddings = r.TieWordEmbeddings == nil || *r.TieWordEmbeddings
	c.HiddenAct = firstNonEmpty(r.HiddenActivation, r.HiddenAct, "gelu_pytorch_tanh")
	c.QKNorm = true
	c.AttentionBias = r.AttentionBias != nil && *r.AttentionBias
	if c.AttentionBias {
		return fmt.Errorf("gemma3 with attention_bias=true is not supported")
	}
	c.SlidingWindow = 4096
	if r.SlidingWindow != nil {
		c.SlidingWindow = *r.SlidingWindow
	}
	if len(r.LayerTypes) > 0 {
		c.LayerTypes = r.LayerTypes
	} else {
		pattern := 6
		if r.SlidingWindowPattern != nil {
			pattern = *r.SlidingWindowPattern
		} else if r.PrivateWindowPattern != nil {
			pattern = *r.PrivateWindowPattern
		}
		c.LayerTypes = gemmaLayerTypes(c.NumLayers, pattern)
	}
	return nil
}

// gemmaLayerTypes makes every pattern-th layer global and the rest sliding,
// as transformers does when layer_types is absent.
func gemmaLayerTypes(n, pattern int) []string {
	out := make([]string, n)
	for i := range out {
		if pattern > 0 && (i+1)%pattern == 0 {
			out[i] = "full_attention"
		} else {
			out[i] = "sliding_attention"
		}
	}
	return out
}

// GemmaEmbedScale is the factor Gemma multiplies embeddings by.
func GemmaEmbedScale(hidden int) float64 { return math.Sqrt(float64(hidden)) }

// gemma3Defaults fills the sizes transformers' Gemma3TextConfig defaults
// to. Multimodal checkpoints rely on them: gemma-3-4b-it's text_config, for
// one, gives neither vocab_size nor the head counts.
func gemma3Defaults(r *rawConfig) {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&r.VocabSize, 262208)
	def(&r.HiddenSize, 2304)
	def(&r.IntermediateSize, 9216)
	def(&r.NumHiddenLayers, 26)
	def(&r.NumAttentionHeads, 8)
	def(&r.NumKeyValueHeads, 4)
	def(&r.HeadDim, 256)
	def(&r.MaxPositionEmbeddings, 131072)
}
