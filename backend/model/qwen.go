package model

// Qwen 2/2.5 is the Llama decoder with biases on the q, k and v projections
// (always, whatever attention_bias says). Qwen 3 drops those biases and adds
// an RMSNorm (x·w) over head_dim on queries and keys before RoPE. Both may
// declare sliding-window layers above max_window_layers when
// use_sliding_window is set (off in the published checkpoints).
func qwenTraits() archTraits { return archTraits{} }

func qwenConfig(c *Config, r *rawConfig) error {
	if err := llamaConfig(c, r); err != nil {
		return err
	}
	if r.ModelType == "qwen2" {
		c.Arch = Qwen2
		c.AttentionBias = true
	} else {
		c.Arch = Qwen3
		c.QKNorm = true
	}
	if len(r.LayerTypes) > 0 {
		c.LayerTypes = r.LayerTypes
		if r.SlidingWindow != nil {
			c.SlidingWindow = *r.SlidingWindow
		}
	} else if r.UseSlidingWindow != nil && *r.UseSlidingWindow && r.SlidingWindow != nil {
		c.SlidingWindow = *r.SlidingWindow
		maxWindow := 0
		if r.MaxWindowLayers != nil {
			maxWindow = *r.MaxWindowLayers
		}
		for i := range c.LayerTypes {
			if i >= maxWindow {
				c.LayerTypes[i] = "sliding_attention"
			}
		}
	}
	return nil
}
