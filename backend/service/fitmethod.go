package service

import (
	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// methodLoad is how a training method changes what a step holds: how many
// rows an example takes (a preference pair is two, its chosen and rejected
// sides, in one micro-batch) and whether the step runs a reference forward
// pass (DPO's base model, the same weights with the adapters off).
type methodLoad struct {
	rows      int
	reference bool
}

func loadOf(method string) methodLoad {
	switch method {
	case runconfig.MethodDPO:
		return methodLoad{rows: 2, reference: true}
	case runconfig.MethodORPO:
		return methodLoad{rows: 2}
	}
	return methodLoad{rows: 1}
}

// trainingEstimate is estimate.Training for a run of the method: r's
// BatchSize counts examples (pairs for DPO and ORPO), each l.rows rows.
//
// DPO's reference pass adds one decoder layer's activations of the batch:
// it needs no gradient, so each of its layers' values is dropped once the
// next layer has read it, and only its per-row log-probabilities are kept
// for the loss. The estimate takes a layer as the run's activations over
// its layers without checkpointing, and adds its share of the overhead
// (the garbage collector's slack grows with live memory) at the run's own
// ratio.
func trainingEstimate(mc *model.Config, r estimate.Run, l methodLoad) (estimate.Breakdown, error) {
	r.BatchSize *= l.rows
	b, err := estimate.Training(mc, r)
	if err != nil || !l.reference {
		return b, err
	}
	plain := r
	plain.GradientCheckpointing = false
	full, err := estimate.Training(mc, plain)
	if err != nil {
		return b, err
	}
	layer := full.Activations / int64(max(1, mc.NumLayers))
	overhead := int64(float64(layer) * float64(b.Overhead) / float64(max(1, b.Total-b.Overhead)))
	b.Activations += layer
	b.Overhead += overhead
	b.Total += layer + overhead
	return b, nil
}

// suggest is estimate.Suggest for a run of the method. For pairs it
// follows the same order (checkpointing on; fewer pairs per micro-batch
// with more accumulation steps, keeping the effective batch; base
// projections as NF4; shorter rows, halving down to 256) over whole pairs:
// estimate.Suggest counts rows and would split a pair across micro-batches,
// which the preference losses cannot take.
func suggest(mc *model.Config, r estimate.Run, gradAccum int, avail int64, l methodLoad) (estimate.Fit, bool, error) {
	if l.rows == 1 && !l.reference {
		return estimate.Suggest(mc, r, gradAccum, avail)
	}
	gradAccum = max(gradAccum, 1)
	q := r.Quantization
	if q == "" {
		q = model.QuantNone
	}
	var fit estimate.Fit
	try := func(batch, accum, seq int) (bool, error) {
		run := r
		run.GradientCheckpointing, run.Quantization, run.BatchSize, run.SeqLen = true, q, batch, seq
		b, err := trainingEstimate(mc, run, l)
		if err != nil {
			return false, err
		}
		fit = estimate.Fit{GradientCheckpointing: true, Quantization: q, BatchSize: batch, GradAccum: accum, SeqLen: seq, Estimate: b}
		return b.Total <= avail, nil
	}
	type split struct{ batch, accum int }
	var splits []split
	for b := r.BatchSize; b >= 1; b-- {
		if r.BatchSize%b == 0 {
			splits = append(splits, split{b, gradAccum * (r.BatchSize / b)})
		}
	}
	first := 0
	if r.GradientCheckpointing {
		first = 1 // r itself is not tried
	}
	for _, s := range splits[first:] {
		if ok, err := try(s.batch, s.accum, r.SeqLen); ok || err != nil {
			return fit, ok, err
		}
	}
	if q != model.QuantNF4 {
		q = model.QuantNF4
		for _, s := range splits {
			if ok, err := try(s.batch, s.accum, r.SeqLen); ok || err != nil {
				return fit, ok, err
			}
		}
	}
	last := splits[len(splits)-1]
	for seq := r.SeqLen / 2; seq >= minSuggestedSeqLen; seq /= 2 {
		if ok, err := try(last.batch, last.accum, seq); ok || err != nil {
			return fit, ok, err
		}
	}
	return estimate.Fit{}, false, nil
}

// minSuggestedSeqLen is estimate.Suggest's shortest suggested max_seq_len.
const minSuggestedSeqLen = 256
