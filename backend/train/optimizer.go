package train

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// optimState holds, for every trainable variable, its gradient accumulator
// and AdamW moments as non-trainable store variables, plus the accumulated
// loss sum and token count of the current optimiser step. Keeping them in
// the store lets GoMLX keep them on the device between steps.
type optimState struct {
	grad, m, v        []*gmodel.Variable
	lossSum, tokenSum *gmodel.Variable
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
		}{{"grad", &s.grad}, {"m", &s.m}, {"v", &s.v}} {
			v, err := mk(fmt.Sprintf("%s/%s/%d", optimScope, slot.name, i), tv.Shape())
			if err != nil {
				return nil, err
			}
			*slot.dst = append(*slot.dst, v)
		}
	}
	var err error
	if s.lossSum, err = mk(optimScope+"/loss_sum", shapes.Make(dtypes.Float32)); err != nil {
		return nil, err
	}
	if s.tokenSum, err = mk(optimScope+"/token_sum", shapes.Make(dtypes.Float32)); err != nil {
		return nil, err
	}
	if err := s.zero(); err != nil {
		return nil, err
	}
	return s, nil
}

// zero resets moments and accumulators (a fresh run).
func (s *optimState) zero() error {
	all := append(append(append([]*gmodel.Variable{}, s.grad...), s.m...), s.v...)
	all = append(all, s.lossSum, s.tokenSum)
	for _, v := range all {
		if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
			return fmt.Errorf("reset %s: %w", v.Path(), err)
		}
	}
	return nil
}

// accumulateGraph adds one micro-batch's gradient of the summed loss to the
// accumulators. Summing (not averaging) per micro-batch and dividing by the
// total token count at the update weights every token equally however the
// tokens fall across micro-batches.
func accumulateGraph(t *Target, s *optimState) func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) (*graph.Node, *graph.Node) {
	return func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) (*graph.Node, *graph.Node) {
		g := tokens.Graph()
		// Training mode turns dropout on and keeps variables as parameters
		// (see applyGraph).
		scope.SetTraining(g, true)
		sum, count := t.Loss(scope, tokens, labels, positions, segments)
		sum = graph.ConvertDType(sum, dtypes.Float32)
		count = graph.ConvertDType(count, dtypes.Float32)
		nodes := make([]*graph.Node, len(t.Trainable))
		for i, v := range t.Trainable {
			nodes[i] = v.NodeValue(g)
		}
		grads := graph.Gradient(sum, nodes...)
		for i, acc := range s.grad {
			acc.SetNodeValue(graph.Add(acc.NodeValue(g), graph.ConvertDType(grads[i], dtypes.Float32)))
		}
		s.lossSum.SetNodeValue(graph.Add(s.lossSum.NodeValue(g), sum))
		s.tokenSum.SetNodeValue(graph.Add(s.tokenSum.NodeValue(g), count))
		return sum, count
	}
}

// evalGraph computes the loss without gradients or dropout.
func evalGraph(t *Target) func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) (*graph.Node, *graph.Node) {
	return func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) (*graph.Node, *graph.Node) {
		g := tokens.Graph()
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
		sum, count := t.Loss(scope, tokens, labels, positions, segments)
		return graph.ConvertDType(sum, dtypes.Float32), graph.ConvertDType(count, dtypes.Float32)
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
// global norm, and clears the accumulators. When the loss or the gradient
// norm is not finite, the weights and moments are left untouched so the
// run can stop with its last good state. Returns mean loss, pre-clip
// gradient norm and token count.
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

		tokens := s.tokenSum.NodeValue(g)
		denom := graph.MaxScalar(tokens, 1)
		loss := graph.Div(s.lossSum.NodeValue(g), denom)
		grads := make([]*graph.Node, len(s.grad))
		var sq *graph.Node
		for i, acc := range s.grad {
			grads[i] = graph.Div(acc.NodeValue(g), denom)
			part := graph.ReduceAllSum(graph.Square(grads[i]))
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
			m := graph.Add(graph.Mul(b1, s.m[i].NodeValue(g)), graph.Mul(graph.Sub(one, b1), gi))
			vv := graph.Add(graph.Mul(b2, s.v[i].NodeValue(g)), graph.Mul(graph.Sub(one, b2), graph.Square(gi)))
			decayed := graph.Sub(w, graph.Mul(graph.Mul(lr, wd), w))
			update := graph.Div(m, graph.Add(graph.Div(graph.Sqrt(vv), sqrtBC2), eps))
			neww := graph.Sub(decayed, graph.Mul(stepSize, update))
			v.SetNodeValue(graph.Where(ok, neww, w))
			s.m[i].SetNodeValue(graph.Where(ok, m, s.m[i].NodeValue(g)))
			s.v[i].SetNodeValue(graph.Where(ok, vv, s.v[i].NodeValue(g)))
			s.grad[i].SetNodeValue(graph.ZerosLike(grads[i]))
		}
		s.lossSum.SetNodeValue(graph.ZerosLike(loss))
		s.tokenSum.SetNodeValue(graph.ZerosLike(tokens))
		return loss, norm, tokens
	}
}
