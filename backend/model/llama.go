package model

// Llama 3 is the baseline decoder the shared blocks implement: pre-norm
// RMSNorm (x·w), grouped-query attention with RoPE (optionally rescaled with
// the "llama3" frequency bands), SwiGLU MLP, untied LM head unless
// tie_word_embeddings (Llama 3.2 1B/3B tie it).
func llamaTraits() archTraits { return archTraits{} }

func llamaConfig(c *Config, r *rawConfig) error {
	c.Arch = Llama
	c.RMSNormEps = optFloat(r.RMSNormEps, 1e-6)
	c.RopeTheta = optFloat(r.RopeTheta, 10000)
	c.RopeLocalTheta = c.RopeTheta
	rs, err := parseRopeScaling(r.RopeScaling)
	if err != nil {
		return err
	}
	c.RopeScaling = rs
	c.AttnScale = invSqrt(float64(c.HeadDim))
	c.TieWordEmbeddings = r.TieWordEmbeddings != nil && *r.TieWordEmbeddings
	c.HiddenAct = firstNonEmpty(r.HiddenAct, "silu")
	c.AttentionBias = r.AttentionBias != nil && *r.AttentionBias
	c.LayerTypes = allLayers(c.NumLayers, "full_attention")
	return nil
}
