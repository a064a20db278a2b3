package train

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// PreferenceOptions configure a preference objective.
type PreferenceOptions struct {
	// Method is runconfig.MethodDPO or runconfig.MethodORPO.
	Method string
	// Beta and LabelSmoothing are DPO's (training.dpo_beta,
	// training.dpo_label_smoothing).
	Beta, LabelSmoothing float64
	// Lambda weighs ORPO's odds-ratio term (training.orpo_lambda).
	Lambda float64
}

// PreferenceTarget trains m's adapters on preference pairs. Its batches
// hold B pairs as 2B rows: the chosen sides in rows 0..B-1, the rejected
// ones in rows B..2B-1 (batch.NewEpoch lays pairs out so), each with only
// its answer's tokens labelled. A pair with no labelled token on either
// side (the padding pairs of a short last batch) counts nowhere.
//
// The losses are TRL's, on log-probabilities of the answer tokens:
//
// DPO (sigmoid loss): with π the summed log-probability of an answer under
// the adapted model and π_ref under the base one (the same model with its
// adapters left out, in the same graph),
// z = β·((π_c − π_r) − (π_ref,c − π_ref,r)) and the pair's loss is
// −(1−ε)·log σ(z) − ε·log σ(−z), averaged over the pairs.
//
// ORPO: with p the mean log-probability per answer token, the log odds
// ratio is (p_c − p_r) − (log(1−e^p_c) − log(1−e^p_r)); the loss is the
// chosen answers' token cross-entropy (averaged over their tokens) minus
// λ times the mean log σ(log odds ratio) over the pairs.
func PreferenceTarget(m *model.Model, o PreferenceOptions) (Target, error) {
	t := Target{Store: m.Store(), Trainable: m.TrainableVariables()}
	switch o.Method {
	case runconfig.MethodDPO:
		if o.Beta <= 0 {
			return Target{}, fmt.Errorf("DPO needs a positive beta (training.dpo_beta), got %g", o.Beta)
		}
		if o.LabelSmoothing < 0 || o.LabelSmoothing >= 0.5 {
			return Target{}, fmt.Errorf("training.dpo_label_smoothing must be in [0, 0.5), got %g", o.LabelSmoothing)
		}
		t.Loss = func(scope *gmodel.Scope, tokens, labels, positions, segments *Node) Loss {
			return dpoLoss(m, model.Inputs{Tokens: tokens, Labels: labels, Positions: positions, Segments: segments}, o)
		}
	case runconfig.MethodORPO:
		if o.Lambda < 0 {
			return Target{}, fmt.Errorf("training.orpo_lambda must not be negative, got %g", o.Lambda)
		}
		t.Weights = []float64{1, o.Lambda}
		t.Loss = func(scope *gmodel.Scope, tokens, labels, positions, segments *Node) Loss {
			return orpoLoss(m, model.Inputs{Tokens: tokens, Labels: labels, Positions: positions, Segments: segments}, o)
		}
	default:
		return Target{}, fmt.Errorf("%q is not a preference method (use %s or %s)", o.Method, runconfig.MethodDPO, runconfig.MethodORPO)
	}
	return t, nil
}

// pairs splits per-row values [2B] into the chosen [B] and rejected [B]
// halves.
func pairs(x *Node) (chosen, rejected *Node) {
	n := x.Shape().Dimensions[0]
	if n%2 != 0 {
		panic(fmt.Sprintf("train: a preference batch has %d rows; it must hold chosen and rejected rows in two halves", n))
	}
	return SliceAxis(x, 0, AxisRange(0, n/2)), SliceAxis(x, 0, AxisRange(n/2, n))
}

// logSigmoid is log σ(x) = min(x, 0) − log(1 + e^−|x|), finite for any x.
func logSigmoid(x *Node) *Node {
	return Sub(Min(x, ZerosLike(x)), Log1p(Exp(Neg(Abs(x)))))
}

// pairMask is 1 for pairs with a labelled token on both sides, else 0.
func pairMask(countC, countR *Node) *Node {
	zero := ZerosLike(countC)
	return ConvertDType(LogicalAnd(GreaterThan(countC, zero), GreaterThan(countR, zero)), dtypes.Float32)
}

// rewardMetrics are the rewards figures of a step, over the valid pairs.
func rewardMetrics(chosen, rejected, mask *Node) []Metric {
	pairsN := ReduceAllSum(mask)
	masked := func(x *Node) *Node { return ReduceAllSum(Mul(StopGradient(x), mask)) }
	margin := Sub(chosen, rejected)
	correct := ConvertDType(GreaterThan(chosen, rejected), dtypes.Float32)
	return []Metric{
		{Name: MetricRewardChosen, Sum: masked(chosen), Count: pairsN},
		{Name: MetricRewardRejected, Sum: masked(rejected), Count: pairsN},
		{Name: MetricRewardMargin, Sum: masked(margin), Count: pairsN},
		{Name: MetricRewardAccuracy, Sum: masked(correct), Count: pairsN},
	}
}

func dpoLoss(m *model.Model, in model.Inputs, o PreferenceOptions) Loss {
	logp, count := m.SequenceLogProbs(in, false)
	ref, _ := m.SequenceLogProbs(in, true)
	pc, pr := pairs(logp)
	rc, rr := pairs(ref)
	cc, cr := pairs(count)
	mask := pairMask(cc, cr)
	z := MulScalar(Sub(Sub(pc, pr), Sub(rc, rr)), o.Beta)
	losses := Neg(logSigmoid(z))
	if ls := o.LabelSmoothing; ls > 0 {
		losses = Sub(MulScalar(losses, 1-ls), MulScalar(logSigmoid(Neg(z)), ls))
	}
	chosen := MulScalar(Sub(pc, rc), o.Beta)
	rejected := MulScalar(Sub(pr, rr), o.Beta)
	return Loss{
		Terms:   []Term{{Sum: ReduceAllSum(Mul(losses, mask)), Count: ReduceAllSum(mask)}},
		Metrics: rewardMetrics(chosen, rejected, mask),
	}
}

func orpoLoss(m *model.Model, in model.Inputs, o PreferenceOptions) Loss {
	logp, count := m.SequenceLogProbs(in, false)
	pc, pr := pairs(logp)
	cc, cr := pairs(count)
	mask := pairMask(cc, cr)
	one := OnesLike(cc)
	// Mean log-probability per answer token (TRL's average_log_prob). A
	// padding pair's sides get −1 instead of 0, whose log(1 − e^0) would be
	// infinite and poison the gradient even where the mask drops it.
	valid := GreaterThan(mask, ZerosLike(mask))
	safe := func(x *Node) *Node { return Where(valid, x, Neg(OnesLike(x))) }
	ac := safe(Div(pc, Max(cc, one)))
	ar := safe(Div(pr, Max(cr, one)))
	// log(1 − e^p) as TRL writes it, log1p(−exp(p)). (log(−expm1(p)) is
	// exact closer to p = 0, but GoMLX has no gradient for Expm1; a mean
	// log-probability that near 0 means answers already near certain.)
	log1mExp := func(p *Node) *Node { return Log1p(Neg(Exp(p))) }
	logOdds := Sub(Sub(ac, ar), Sub(log1mExp(ac), log1mExp(ar)))
	ratio := Mul(logSigmoid(logOdds), mask)
	nllSum := ReduceAllSum(Neg(Mul(pc, mask)))
	nllCount := ReduceAllSum(Mul(cc, mask))
	pairsN := ReduceAllSum(mask)
	metrics := rewardMetrics(MulScalar(ac, o.Lambda), MulScalar(ar, o.Lambda), mask)
	metrics = append(metrics,
		Metric{Name: MetricNLL, Sum: StopGradient(nllSum), Count: nllCount},
		Metric{Name: MetricLogOddsRatio, Sum: StopGradient(ReduceAllSum(ratio)), Count: pairsN})
	return Loss{
		Terms: []Term{
			{Sum: nllSum, Count: nllCount},
			{Sum: Neg(ReduceAllSum(ratio)), Count: pairsN},
		},
		Metrics: metrics,
	}
}
