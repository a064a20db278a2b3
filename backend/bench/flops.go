package bench

import (
	"github.com/whetstone-ai/whetstone/backend/model"
)

// StepFLOPs counts the matrix-multiplication work of one LoRA training step
// (forward and backward) from the shapes, in FLOPs (2 per multiply-add).
// It is the useful work a step has to do, whatever the implementation:
// recomputation (gradient checkpointing, the attention backward's
// recomputed probabilities) and masked-out attention scores are not
// counted, nor are element-wise ops (norms, RoPE, GELU, softmax, AdamW),
// which are a few percent of the total at these shapes.
//
// With N = batch·seq tokens, per decoder layer P = Σ in·out over the seven
// projections and R = r·Σ (in+out) over the seven adapters, H query heads
// of width d, and A = Σ over query positions of the keys they attend to
// (causal: T(T+1)/2 per row; a sliding layer of window w: Σ min(t+1, w)):
//
//	projections  forward 2·N·P, backward 2·N·P (input gradient only: the
//	             base weights are frozen, so no weight gradient)
//	LoRA         forward 2·N·R, backward 4·N·R (input and weight gradients)
//	attention    forward 4·B·H·d·A (QKᵀ and PV), backward 8·B·H·d·A
//	             (dP = dO·Vᵀ, dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q)
//	LM head      forward 2·N·h·V, backward 2·N·h·V (the hidden state's
//	             gradient; the tied embedding is frozen)
//
// summed over the layers (the LM head once).
//
// Recomputed, not part of Total, is the product work this implementation
// does twice: per layer the attention backward's scores QKᵀ again
// (2·B·H·d·A), and under gradient checkpointing each layer's forward pass
// again (2·N·P + 2·N·R + 4·B·H·d·A; the loss's LM head is not recomputed).
// Total + Recomputed over the step time says how busy the products kept
// the machine; Total alone is what the step achieved.
type StepFLOPs struct {
	Projections float64 `json:"projections"`
	LoRA        float64 `json:"lora"`
	Attention   float64 `json:"attention"`
	LMHead      float64 `json:"lm_head"`
	Total       float64 `json:"total"`
	Recomputed  float64 `json:"recomputed"`
}

// CountStepFLOPs applies the StepFLOPs formula to c trained on the model
// configuration mc (whose layer types say which layers slide), with or
// without gradient checkpointing.
func CountStepFLOPs(c Config, mc *model.Config, checkpointed bool) StepFLOPs {
	n := float64(c.Batch) * float64(c.Seq)
	qw, kvw := mc.NumHeads*mc.HeadDim, mc.NumKVHeads*mc.HeadDim
	dims := [][2]int{
		{mc.HiddenSize, qw}, {mc.HiddenSize, kvw}, {mc.HiddenSize, kvw}, {qw, mc.HiddenSize},
		{mc.HiddenSize, mc.IntermediateSize}, {mc.HiddenSize, mc.IntermediateSize}, {mc.IntermediateSize, mc.HiddenSize},
	}
	var p, r float64
	for _, d := range dims {
		p += float64(d[0]) * float64(d[1])
		r += float64(c.Rank) * float64(d[0]+d[1])
	}
	var f StepFLOPs
	for i := range mc.NumLayers {
		f.Projections += 4 * n * p
		f.LoRA += 6 * n * r
		window := 0
		if mc.IsSliding(i) {
			window = mc.SlidingWindow
		}
		attention := float64(c.Batch) * float64(qw) * attendedPairs(c.Seq, window)
		f.Attention += 12 * attention
		f.Recomputed += 2 * attention
		if checkpointed {
			f.Recomputed += 2*n*p + 2*n*r + 4*attention
		}
	}
	f.LMHead = 4 * n * float64(mc.HiddenSize) * float64(mc.VocabSize)
	f.Total = f.Projections + f.LoRA + f.Attention + f.LMHead
	return f
}

// attendedPairs is the number of (query, key) pairs of one causal sequence
// of seq tokens, each query seeing at most window keys (0: no limit).
func attendedPairs(seq, window int) float64 {
	var a float64
	for t := range seq {
		k := t + 1
		if window > 0 && k > window {
			k = window
		}
		a += float64(k)
	}
	return a
}
