package train

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// optimState holds, for every trainable variable, its AdamW moments and,
// for every term of the loss, its gradient accumulator, loss sum and count
// over the current optimiser step, all as non-trainable store variables so
// GoMLX keeps them on the device between steps.
type optimState struct {
	m, v  []*gmodel.Variable
	terms []termState
	// metrics are the names of the loss's Metrics, known once the
	// accumulation graph is built.
	metrics []string
}

// termState accumulates one loss term over an optimiser step.
type termState struct {
	weight          float64
	grad            []*gmodel.Variable
	lossSum, counts *gmodel.Variable
}

const optimScope = "/whetstone_train"

func newOptimState(t *Target) (*optimState, error) {
	s := &optimState{}
	mk := func(path string, shape shapes.Shape) (*gmodel.Variable, error) {
		if v := t.Store.GetVariable(path); v != nil {
			return v, nil
		}
		v, err := t.Store.CreateVariable(path, tensors.FromShape(shapes.Make(dtypes.Float32, shape.Dimensions...)))
		if err != nil {
			return nil, fmt.Errorf("create optimiser variable %s: %w", path, err)
		}
		v.SetTrainable(false)
		return v, nil
	}
	for i, tv := range t.Trainable {
		if tv.DType() != dtypes.Float32 {
			return nil, fmt.Errorf("trainable variable %s is %s; the trainer needs float32 adapters", tv.Path(), tv.DType())
		}
		for _, slot := range []struct {
			name string
			dst  *[]*gmodel.Variable
		}{{"m", &s.m}, {"v", &s.v}} {
			v, err := mk(fmt.Sprintf("%s/%s/%d", optimScope, slot.name, i), tv.Shape())
			if err != nil {
				return nil, err
			}
			*slot.dst = append(*slot.dst, v)
		}
	}
	weights := t.Weights
	if len(weights) == 0 {
		weights = []float64{1}
	}
	for k, w := range weights {
		// The first term keeps the names a one-term trainer always had.
		prefix := optimScope
		if k > 0 {
			prefix = fmt.Sprintf("%s/term%d", optimScope, k)
		}
		ts := termState{weight: w}
		for i, tv := range t.Trainable {
			v, err := mk(fmt.Sprintf("%s/grad/%d", prefix, i), tv.Shape())
			if err != nil {
				return nil, err
			}
			ts.grad = append(ts.grad, v)
		}
		var err error
		if ts.lossSum, err = mk(prefix+"/loss_sum", shapes.Make(dtypes.Float32)); err != nil {
			return nil, err
		}
		if ts.counts, err = mk(prefix+"/token_sum", shapes.Make(dtypes.Float32)); err != nil {
			return nil, err
		}
		s.terms = append(s.terms, ts)
	}
	if err := s.zero(); err != nil {
		return nil, err
	}
	return s, nil
}

// zero resets moments and accumulators (a fresh run).
func (s *optimState) zero() error {
	all := append(append([]*gmodel.Variable{}, s.m...), s.v...)
	for _, ts := range s.terms {
		all = append(append(all, ts.grad...), ts.lossSum, ts.counts)
	}
	for _, v := range all {
		if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
			return fmt.Errorf("reset %s: %w", v.Path(), err)
		}
	}
	return nil
}

// buildLoss calls the target's loss and checks it has the terms the
// optimiser state was made for.
func buildLoss(t *Target, s *optimState, scope *gmodel.Scope, in []*graph.Node) Loss {
	l := t.Loss(scope, in[0], in[1], in[2], in[3])
	if len(l.Terms) != len(s.terms) {
		panic(fmt.Sprintf("train: the loss has %d terms, the target weighs %d (Target.Weights)", len(l.Terms), len(s.terms)))
	}
	for i := range l.Terms {
		l.Terms[i].Sum = graph.ConvertDType(l.Terms[i].Sum, dtypes.Float32)
		l.Terms[i].Count = graph.ConvertDType(l.Terms[i].Count, dtypes.Float32)
	}
	return l
}

// metricOutputs are a loss's metrics as graph outputs: every sum, then
// every count. The metrics' names are recorded in s.
func metricOutputs(l Loss, s *optimState) []*graph.Node {
	s.metrics = s.metrics[:0]
	var sums, counts []*graph.Node
	for _, m := range l.Metrics {
		s.metrics = append(s.metrics, m.Name)
		sums = append(sums, graph.StopGradient(graph.ConvertDType(m.Sum, dtypes.Float32)))
		counts = append(counts, graph.StopGradient(graph.ConvertDType(m.Count, dtypes.Float32)))
	}
	return append(sums, counts...)
}

// accumulateGraph adds one micro-batch's gradient of each term's summed
// loss to that term's accumulators. Summing (not averaging) per
// micro-batch and dividing by the term's total count at the update weights
// every token (or pair) equally however they fall across micro-batches.
// Its outputs are the micro-batch's metric sums and counts.
func accumulateGraph(t *Target, s *optimState) func(scope *gmodel.Scope, in []*graph.Node) []*graph.Node {
	return func(scope *gmodel.Scope, in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		// Training mode turns dropout on and keeps variables as parameters
		// (see applyGraph).
		scope.SetTraining(g, true)
		l := buildLoss(t, s, scope, in)
		nodes := make([]*graph.Node, len(t.Trainable))
		for i, v := range t.Trainable {
			nodes[i] = v.NodeValue(g)
		}
		for k, term := range l.Terms {
			ts := s.terms[k]
			grads := graph.Gradient(term.Sum, nodes...)
			for i, acc := range ts.grad {
				acc.SetNodeValue(graph.Add(acc.NodeValue(g), graph.ConvertDType(grads[i], dtypes.Float32)))
			}
			ts.lossSum.SetNodeValue(graph.Add(ts.lossSum.NodeValue(g), term.Sum))
			ts.counts.SetNodeValue(graph.Add(ts.counts.NodeValue(g), term.Count))
		}
		out := metricOutputs(l, s)
		if len(out) == 0 {
			// An executable needs an output; the first term's count is a
			// cheap one.
			out = []*graph.Node{l.Terms[0].Count}
		}
		return out
	}
}

// evalGraph computes the loss terms (every sum, then every count) without
// gradients or dropout.
func evalGraph(t *Target, s *optimState) func(scope *gmodel.Scope, in []*graph.Node) []*graph.Node {
	return func(scope *gmodel.Scope, in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		// Create the adapters' parameter nodes while in training mode so
		// they are fed their current values on every call (the pure-Go
		// backend embeds variables of non-training graphs as constants at
		// compile time), then switch to inference mode (no dropout). The
		// frozen base weights may well become constants: they never change.
		scope.SetTraining(g, true)
		for _, v := range t.Trainable {
			v.NodeValue(g)
		}
		scope.SetTraining(g, false)
		l := buildLoss(t, s, scope, in)
		var sums, counts []*graph.Node
		for _, term := range l.Terms {
			sums = append(sums, term.Sum)
			counts = append(counts, term.Count)
		}
		return append(sums, counts...)
	}
}

// hyper are the per-step scalars fed to the update graph, computed on the
// host so the schedule and bias corrections live in one place (and in the
// checkpoint as just the step number).
type hyper struct {
	LR          float32 // learning rate of this step
	StepSize    float32 // lr / (1 - beta1^t)
	SqrtBC2     float32 // sqrt(1 - beta2^t)
	WeightDecay float32
	Beta1       float32
	Beta2       float32
	Epsilon     float32
	MaxNorm     float32 // 0: no clipping
}

func (h hyper) tensor() *tensors.Tensor {
	return tensors.FromValue([]float32{h.LR, h.StepSize, h.SqrtBC2, h.WeightDecay, h.Beta1, h.Beta2, h.Epsilon, h.MaxNorm})
}

// applyGraph turns the accumulated gradients into one AdamW update
// (decoupled weight decay, as torch.optim.AdamW), after clipping their
// global norm, and clears the accumulators. Each term's gradient and loss
// are divided by its own count (at least 1) and weighted. When the loss or
// the gradient norm is not finite, the weights and moments are left
// untouched so the run can stop with its last good state. Returns the
// loss, the pre-clip gradient norm and the first term's count.
func applyGraph(t *Target, s *optimState) func(scope *gmodel.Scope, h *graph.Node) (*graph.Node, *graph.Node, *graph.Node) {
	return func(scope *gmodel.Scope, h *graph.Node) (*graph.Node, *graph.Node, *graph.Node) {
		g := h.Graph()
		// Marking the graph as training keeps variables as parameters: the
		// pure-Go backend otherwise embeds variable values as constants at
		// compile time, and later steps would see stale accumulators.
		scope.SetTraining(g, true)
		at := func(i int) *graph.Node { return graph.Reshape(graph.Slice(h, graph.AxisRange(i, i+1))) }
		lr, stepSize, sqrtBC2, wd := at(0), at(1), at(2), at(3)
		b1, b2, eps, maxNorm := at(4), at(5), at(6), at(7)
		one := graph.ScalarOne(g, dtypes.Float32)

		// weighted is x·weight, leaving x as it is for a weight of 1 so a
		// one-term loss computes exactly what it always did.
		weighted := func(x *graph.Node, w float64) *graph.Node {
			if w == 1 {
				return x
			}
			return graph.MulScalar(x, w)
		}
		var loss *graph.Node
		grads := make([]*graph.Node, len(t.Trainable))
		for _, ts := range s.terms {
			denom := graph.MaxScalar(ts.counts.NodeValue(g), 1)
			part := weighted(graph.Div(ts.lossSum.NodeValue(g), denom), ts.weight)
			if loss == nil {
				loss = part
			} else {
				loss = graph.Add(loss, part)
			}
			for i, acc := range ts.grad {
				gi := weighted(graph.Div(acc.NodeValue(g), denom), ts.weight)
				if grads[i] == nil {
					grads[i] = gi
				} else {
					grads[i] = graph.Add(grads[i], gi)
				}
			}
		}
		var sq *graph.Node
		for _, gi := range grads {
			part := graph.ReduceAllSum(graph.Square(gi))
			if sq == nil {
				sq = part
			} else {
				sq = graph.Add(sq, part)
			}
		}
		norm := graph.Sqrt(sq)
		// clip = min(1, maxNorm/(norm+1e-6)), or 1 when maxNorm is 0.
		clip := graph.Min(one, graph.Div(maxNorm, graph.AddScalar(norm, 1e-6)))
		clip = graph.Where(graph.GreaterThan(maxNorm, graph.ScalarZero(g, dtypes.Float32)), clip, one)
		ok := graph.LogicalAnd(graph.IsFinite(loss), graph.IsFinite(norm))

		for i, v := range t.Trainable {
			gi := graph.Mul(grads[i], clip)
			w := v.NodeValue(g)
			lri, stepi := lr, stepSize
			if f, scaled := t.LRScale[v.Path()]; scaled {
				lri, stepi = graph.MulScalar(lr, f), graph.MulScalar(stepSize, f)
			}
			m := graph.Add(graph.Mul(b1, s.m[i].NodeValue(g)), graph.Mul(graph.Sub(one, b1), gi))
			vv := graph.Add(graph.Mul(b2, s.v[i].NodeValue(g)), graph.Mul(graph.Sub(one, b2), graph.Square(gi)))
			decayed := graph.Sub(w, graph.Mul(graph.Mul(lri, wd), w))
			update := graph.Div(m, graph.Add(graph.Div(graph.Sqrt(vv), sqrtBC2), eps))
			neww := graph.Sub(decayed, graph.Mul(stepi, update))
			v.SetNodeValue(graph.Where(ok, neww, w))
			s.m[i].SetNodeValue(graph.Where(ok, m, s.m[i].NodeValue(g)))
			s.v[i].SetNodeValue(graph.Where(ok, vv, s.v[i].NodeValue(g)))
		}
		count := s.terms[0].counts.NodeValue(g)
		for _, ts := range s.terms {
			for _, acc := range ts.grad {
				acc.SetNodeValue(graph.ZerosLike(acc.NodeValue(g)))
			}
			ts.lossSum.SetNodeValue(graph.ZerosLike(ts.lossSum.NodeValue(g)))
			ts.counts.SetNodeValue(graph.ZerosLike(ts.counts.NodeValue(g)))
		}
		return loss, norm, count
	}
}
