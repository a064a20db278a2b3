// Package estimate predicts the memory a LoRA training run needs before it
// starts, so the UI can warn before a run dies of an out-of-memory kill an
// hour in. The figures are approximations from the model's shapes: weights,
// adapters with their gradients and AdamW moments, the activations kept for
// the backward pass, and the chunked loss.
package estimate

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// Run is what a training run's memory depends on.
type Run struct {
	// WeightBytes is bytes per frozen base parameter: 4 (float32, the CPU
	// default) or 2 (bfloat16 storage).
	WeightBytes int
	Rank        int
	Targets     []string
	BatchSize   int
	SeqLen      int
	// LossChunk is how many positions the LM head and cross-entropy handle
	// at once (the model never holds [batch, seq, vocab] logits).
	LossChunk int
}

// Breakdown is the estimate, in bytes, by what holds the memory.
type Breakdown struct {
	BaseWeights int64 `json:"base_weights"`
	// LoRA covers the adapters, their gradients and two AdamW moments.
	LoRA        int64 `json:"lora"`
	LoRAParams  int64 `json:"lora_params"`
	Activations int64 `json:"activations"`
	Logits      int64 `json:"logits"`
	// Overhead is the runtime, compiled graphs and allocator slack.
	Overhead int64 `json:"overhead"`
	Total    int64 `json:"total"`
}

// LoRAParams counts adapter parameters: r·(in+out) per targeted projection.
func LoRAParams(c *model.Config, rank int, targets []string) (int64, error) {
	q := c.NumHeads * c.HeadDim
	kv := c.NumKVHeads * c.HeadDim
	dims := map[string][2]int{
		"q_proj":    {c.HiddenSize, q},
		"k_proj":    {c.HiddenSize, kv},
		"v_proj":    {c.HiddenSize, kv},
		"o_proj":    {q, c.HiddenSize},
		"gate_proj": {c.HiddenSize, c.IntermediateSize},
		"up_proj":   {c.HiddenSize, c.IntermediateSize},
		"down_proj": {c.IntermediateSize, c.HiddenSize},
	}
	var perLayer int64
	for _, t := range targets {
		d, ok := dims[t]
		if !ok {
			return 0, fmt.Errorf("unknown LoRA target module %q", t)
		}
		perLayer += int64(rank) * int64(d[0]+d[1])
	}
	return perLayer * int64(c.NumLayers), nil
}

// Training estimates the peak memory of a LoRA training step.
func Training(c *model.Config, r Run) (Breakdown, error) {
	if r.WeightBytes == 0 {
		r.WeightBytes = 4
	}
	if r.LossChunk <= 0 {
		r.LossChunk = 512
	}
	if r.BatchSize <= 0 || r.SeqLen <= 0 {
		return Breakdown{}, fmt.Errorf("batch size and sequence length must be positive, got %d and %d", r.BatchSize, r.SeqLen)
	}
	lora, err := LoRAParams(c, r.Rank, r.Targets)
	if err != nil {
		return Breakdown{}, err
	}
	var b Breakdown
	b.BaseWeights = c.NumParams() * int64(r.WeightBytes)
	b.LoRAParams = lora
	// weights + gradient + AdamW first and second moments, all float32
	b.LoRA = lora * 4 * 4
	tokens := int64(r.BatchSize) * int64(r.SeqLen)
	// Per layer and token the backward pass keeps roughly: normed inputs and
	// residuals (~6 hidden), q/k/v/attention output (~2 q + 2 kv widths), the
	// MLP's gate, up and activation (3 intermediate); plus the attention
	// probabilities, seq per head.
	perTokenLayer := int64(6*c.HiddenSize+2*c.NumHeads*c.HeadDim+2*c.NumKVHeads*c.HeadDim+3*c.IntermediateSize) +
		int64(c.NumHeads)*int64(r.SeqLen)
	b.Activations = tokens * perTokenLayer * int64(c.NumLayers) * 4
	chunk := int64(r.LossChunk)
	if chunk > tokens {
		chunk = tokens
	}
	// logits and their gradient for one chunk
	b.Logits = chunk * int64(c.VocabSize) * 4 * 2
	b.Overhead = 150 << 20
	b.Total = b.BaseWeights + b.LoRA + b.Activations + b.Logits + b.Overhead
	return b, nil
}
