// Package estimate predicts the memory a LoRA training run needs before it
// starts, so the UI can warn before a run dies of an out-of-memory kill an
// hour in. The figures are approximations from the model's shapes: weights,
// adapters and trained modules with their gradients and AdamW moments, the
// activations kept for the backward pass, and the chunked loss.
package estimate

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/quant"
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
	// at once (the model never holds [batch, seq, vocab] logits); 0 means
	// the model's own choice, 2M logits' worth.
	LossChunk int
	// GradientCheckpointing keeps only each layer's input for the backward
	// pass (runconfig training.gradient_checkpointing).
	GradientCheckpointing bool
	// Quantization is how the decoder projections are stored
	// (runconfig model.quantization): "nf4" or "int8" counts them at
	// quant.NF4Bytes or quant.Int8Bytes, "" or "none" at WeightBytes.
	Quantization string
	// ModulesToSave are the base modules trained whole
	// (lora.modules_to_save: embed_tokens, lm_head), each a float32 copy
	// with its gradient and AdamW moments (see moduleBytes).
	ModulesToSave []string
	// Method is the training method (runconfig training.method): a
	// preference method's BatchSize counts pairs, two rows each, and DPO
	// adds its reference pass (methodTraining). Empty is SFT.
	Method string
}

// Breakdown is the estimate, in bytes, by what holds the memory.
type Breakdown struct {
	// BaseWeights are the frozen weights as stored; with quantized
	// projections, also the float32 copies of the few being dequantized
	// at a time.
	BaseWeights int64 `json:"base_weights"`
	// LoRA covers the adapters, their gradients and two AdamW moments.
	LoRA       int64 `json:"lora"`
	LoRAParams int64 `json:"lora_params"`
	// Modules covers the trained modules (Run.ModulesToSave): their
	// float32 copies, gradients and AdamW moments.
	Modules      int64 `json:"modules"`
	ModuleParams int64 `json:"module_params"`
	Activations  int64 `json:"activations"`
	Logits       int64 `json:"logits"`
	// Overhead is the runtime and compiled graphs, the freed buffers the
	// backend keeps for reuse and the heap growth the garbage collector
	// allows between collections (paced by the step's memory while
	// training: train.Options.StepBytes).
	Overhead int64 `json:"overhead"`
	Total    int64 `json:"total"`
}

// StepBytes is what a training step allocates beyond the stored weights,
// adapters and modules: its activations and loss chunk (what
// train.Options.StepBytes paces the collector by).
func (b Breakdown) StepBytes() int64 { return b.Activations + b.Logits }

// projDims are the [in, out] sizes of a decoder layer's projections.
func projDims(c *model.Config) map[string][2]int {
	q := c.NumHeads * c.HeadDim
	kv := c.NumKVHeads * c.HeadDim
	return map[string][2]int{
		"q_proj":    {c.HiddenSize, q},
		"k_proj":    {c.HiddenSize, kv},
		"v_proj":    {c.HiddenSize, kv},
		"o_proj":    {q, c.HiddenSize},
		"gate_proj": {c.HiddenSize, c.IntermediateSize},
		"up_proj":   {c.HiddenSize, c.IntermediateSize},
		"down_proj": {c.IntermediateSize, c.HiddenSize},
	}
}

// LoRAParams counts adapter parameters: r·(in+out) per targeted projection.
func LoRAParams(c *model.Config, rank int, targets []string) (int64, error) {
	dims := projDims(c)
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

// dequantCopies is how many float32 copies of its largest projection a
// quantized model holds at a step's peak: the dequantized weight in use
// and the intermediates of the next one's dequantization (on the go
// backend a 360 MB float32 model, stored as NF4, peaked 140 MB above its
// 46 MB of codes at batch 1 × 64 tokens, where activations are a few MB).
const dequantCopies = 4

// baseWeightBytes is the memory of the frozen weights as stored.
func baseWeightBytes(c *model.Config, r Run) (int64, error) {
	all := c.NumParams() * int64(r.WeightBytes)
	var perTensor func(n int64) int64
	switch r.Quantization {
	case "", model.QuantNone:
		return all, nil
	case model.QuantNF4:
		perTensor = quant.NF4Bytes
	case model.QuantInt8:
		perTensor = quant.Int8Bytes
	default:
		return 0, fmt.Errorf("quantization %q is not one of %s, %s, %s", r.Quantization, model.QuantNone, model.QuantNF4, model.QuantInt8)
	}
	var stored, values, largest int64
	for _, d := range projDims(c) {
		n := int64(d[0]) * int64(d[1])
		stored += perTensor(n)
		values += n
		largest = max(largest, n)
	}
	layers := int64(c.NumLayers)
	return all - layers*values*int64(r.WeightBytes) + layers*stored + dequantCopies*largest*4, nil
}

// Calibration: with these constants the estimate is within 10 % of the
// peak RSS whetstone bench measures for every configuration it has, tiny
// to Gemma 3 4B, with and without gradient checkpointing
// (backend/bench/estimate_peaks_test.go).
const (
	// AppBaseline is the whetstone process before it loads anything: Go
	// runtime, the binary's code and data (the peak RSS of `whetstone
	// version`: 47 MiB on an AMD EPYC, 51 on an Intel Xeon, linux/amd64).
	// Another program running a training step (a test binary) has its own.
	AppBaseline = 48 << 20
	// fixedOverhead is the process itself: AppBaseline, and the compiled
	// graphs and the backend's pools of small buffers (12 MiB, fitted to
	// the bench's tiny and 5m peaks).
	fixedOverhead = AppBaseline + 12<<20
	// poolShare is the share of the live memory held besides it at the
	// peak: freed buffers waiting in the backend's pools for reuse, the
	// garbage the collector has not yet reclaimed (it targets 25 % of the
	// heap, train.gcPercent) and the heap's fragmentation. Fitted to the
	// bench's peaks, tiny to Gemma 3 4B: within 6 %
	// (backend/bench/estimate_peaks_test.go).
	poolShare = 0.14
)

// Training estimates the peak memory of a LoRA training step.
func Training(c *model.Config, r Run) (Breakdown, error) {
	if rowsPerExample(r.Method) > 1 {
		return methodTraining(c, r)
	}
	if r.WeightBytes == 0 {
		r.WeightBytes = 4
	}
	if r.BatchSize <= 0 || r.SeqLen <= 0 {
		return Breakdown{}, fmt.Errorf("batch size and sequence length must be positive, got %d and %d", r.BatchSize, r.SeqLen)
	}
	lora, err := LoRAParams(c, r.Rank, r.Targets)
	if err != nil {
		return Breakdown{}, err
	}
	var b Breakdown
	if b.BaseWeights, err = baseWeightBytes(c, r); err != nil {
		return Breakdown{}, err
	}
	b.LoRAParams = lora
	// weights + gradient + AdamW first and second moments, all float32
	b.LoRA = lora * 4 * 4
	if b.ModuleParams, err = ModuleParams(c, r.ModulesToSave); err != nil {
		return Breakdown{}, fmt.Errorf("lora.%w", err)
	}
	b.Modules = moduleBytes(b.ModuleParams)
	tokens := int64(r.BatchSize) * int64(r.SeqLen)
	// Per layer and token the backward pass keeps, in float32 numbers:
	// the residual stream and its norms' inputs (~10 hidden), the MLP's
	// gate, up, activation and product (4 intermediate), q, k, v and the
	// attention output (~2 of each width). The gradients in flight belong
	// to the one layer the backward pass is in (~2 intermediate): counted
	// once, not per layer, which mattered little at the 3 and 6 layers of
	// the calibration models but added 2.7 GiB at Gemma 3 1B's 26.
	// Attention keeps no [T, T] scores: blockwise attention (rows of 256
	// tokens or more) recomputes them block by block, and the plain path
	// recomputes them per layer in the backward pass, except GoMLX's
	// attention for soft-capped scores, which keeps scores and
	// probabilities: 2·heads·seq.
	qWidth, kvWidth := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	perLayer := int64(10*c.HiddenSize + 4*c.IntermediateSize + 2*(qWidth+kvWidth))
	inFlight := int64(2 * c.IntermediateSize)
	scores := int64(2*c.NumHeads) * int64(r.SeqLen)
	switch {
	case r.GradientCheckpointing:
		// Every layer's input, and the recomputed activations with the
		// gradients of the layer the backward pass is in, plus part of
		// the next one's, whose recomputation starts as soon as its
		// layer's gradient arrives (about 1.5 layers: fitted to the
		// bench's 30m and Gemma 3 1B peaks).
		perToken := int64(c.NumLayers*c.HiddenSize) + perLayer*3/2 + inFlight
		if model.AutoAttentionBlock(r.SeqLen) == 0 {
			perToken += scores
		}
		b.Activations = tokens * perToken * 4
	default:
		if c.AttnLogitSoftcap > 0 {
			perLayer += scores
		}
		b.Activations = tokens * (perLayer*int64(c.NumLayers) + inFlight) * 4
	}
	chunk := int64(r.LossChunk)
	if chunk <= 0 {
		chunk = int64(model.LossChunkRows(c.VocabSize))
	}
	chunk = min(chunk, tokens)
	// three [chunk, V] tensors: an evaluation graph's row chunk of logits,
	// exponentials and probabilities; in training graphs about as much
	// across the vocabulary slices in flight (model.slicedGroupNLL)
	b.Logits = chunk * int64(c.VocabSize) * 4 * 3
	live := b.BaseWeights + b.LoRA + b.Modules + b.Activations + b.Logits
	b.Overhead = fixedOverhead + int64(poolShare*float64(live))
	b.Total = live + b.Overhead
	return b, nil
}

// Fit is a run's memory settings with their estimate: what Suggest
// proposes so that a run fits.
type Fit struct {
	GradientCheckpointing bool `json:"gradient_checkpointing"`
	// Quantization is the run's model.quantization, or "nf4" where
	// quantizing the base weights is what makes it fit.
	Quantization string `json:"quantization"`
	BatchSize    int    `json:"batch_size"`
	// GradAccum keeps the effective batch (BatchSize·GradAccum) of the
	// settings it replaces.
	GradAccum int       `json:"grad_accum"`
	SeqLen    int       `json:"max_seq_len"`
	Estimate  Breakdown `json:"estimate"`
}

// minSuggestedSeqLen is the shortest sequence Suggest proposes: below it
// most chat examples would be cut to their first turn.
const minSuggestedSeqLen = 256

// Suggest returns the least harmful settings whose estimate is at most
// avail bytes, trying in this order and keeping each step: gradient
// checkpointing on (costs compute only), a smaller micro-batch with more
// accumulation steps so the effective batch stays the same (costs
// throughput), then the base projections stored as NF4 (QLoRA: the
// losses move by a few percent at most, see backend/train/executor's
// TestQuantizedRunsTrainLikeUnquantized) with the largest of those
// micro-batches that fits, then a shorter max_seq_len, halving down to
// 256 (changes what is trained on). ok is false when none fits, e.g. when
// even the NF4 weights are larger than avail; r itself is not tried.
func Suggest(c *model.Config, r Run, gradAccum int, avail int64) (fit Fit, ok bool, err error) {
	gradAccum = max(gradAccum, 1)
	q := r.Quantization
	if q == "" {
		q = model.QuantNone
	}
	try := func(ck bool, batch, accum, seq int) (bool, error) {
		run := r
		run.GradientCheckpointing, run.Quantization, run.BatchSize, run.SeqLen = ck, q, batch, seq
		b, err := Training(c, run)
		if err != nil {
			return false, err
		}
		fit = Fit{GradientCheckpointing: ck, Quantization: q, BatchSize: batch, GradAccum: accum, SeqLen: seq, Estimate: b}
		return b.Total <= avail, nil
	}
	// Divisors of the batch only, so the effective batch is kept exactly.
	type split struct{ batch, accum int }
	splits := []split{{r.BatchSize, gradAccum}}
	for b := r.BatchSize - 1; b >= 1; b-- {
		if r.BatchSize%b == 0 {
			splits = append(splits, split{b, gradAccum * (r.BatchSize / b)})
		}
	}
	ck := true
	first := 1
	if !r.GradientCheckpointing {
		first = 0
	}
	for _, s := range splits[first:] {
		if ok, err := try(ck, s.batch, s.accum, r.SeqLen); ok || err != nil {
			return fit, ok, err
		}
	}
	if q != model.QuantNF4 {
		q = model.QuantNF4
		for _, s := range splits {
			if ok, err := try(ck, s.batch, s.accum, r.SeqLen); ok || err != nil {
				return fit, ok, err
			}
		}
	}
	last := splits[len(splits)-1]
	for seq := r.SeqLen / 2; seq >= minSuggestedSeqLen; seq /= 2 {
		if ok, err := try(ck, last.batch, last.accum, seq); ok || err != nil {
			return fit, ok, err
		}
	}
	return Fit{}, false, nil
}
