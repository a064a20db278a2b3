package train

import "math"

// LearningRate returns the learning rate of optimiser step (1-based) out of
// total: linear warmup from 0 over warmup steps, then linear decay to 0,
// half-cosine decay to 0, or constant. It matches the schedules of
// transformers' get_{linear,cosine,constant}_schedule_with_warmup, which
// evaluate the multiplier at step-1 (the first update uses lr·0 when
// warmup > 0... transformers' first update uses the multiplier at 0), so a
// run here follows the same curve as one of Unsloth's notebooks.
func LearningRate(kind string, peak float64, step, warmup, total int) float64 {
	s := step - 1 // transformers' scheduler counter before the update
	if s < 0 {
		s = 0
	}
	if warmup > 0 && s < warmup {
		return peak * float64(s) / float64(warmup)
	}
	switch kind {
	case "constant":
		return peak
	case "cosine":
		if total <= warmup {
			return peak
		}
		progress := float64(s-warmup) / float64(total-warmup)
		return peak * math.Max(0, 0.5*(1+math.Cos(math.Pi*progress)))
	default: // linear
		if total <= warmup {
			return peak
		}
		return peak * math.Max(0, float64(total-s)/float64(total-warmup))
	}
}
