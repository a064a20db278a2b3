package model

import (
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// withSavedGradient is withGradient (customgrad.go) for a forward that also
// returns tensors its gradient needs (saved), and that stays right, and
// memory-linear, under gradient checkpointing.
//
// grads does not read the nodes forward built: it gets them back through
// the graph. The output is an identity over a scheduling barrier whose
// operand is forward's output and whose dependencies are the (wrapped)
// inputs and the saved tensors, so grads receives that identity (the
// output's value) and the barrier's inputs. When the layer is
// checkpointed, autodiff hands the gradient function a rematerialized
// clone of the identity, whose inputs are the recomputed copies: the
// backward then reads those, and the forward pass's q, k, v, output and
// log-sum-exp die with the forward pass, as checkpointing intends
// (withGradient's closures would keep them alive until the backward pass).
//
// The barrier and the identity pass their operand's buffer through on the
// go backend (each is its operand's only consumer), and grads uses the
// identity rather than forward's output, so nothing is copied.
func withSavedGradient(inputs []*Node, forward func(in []*Node) (out *Node, saved []*Node),
	grads func(in []*Node, out *Node, saved []*Node, dOut *Node) []*Node) *Node {
	var gs []*Node
	wrapped := gradientInputs(inputs, &gs)
	out, saved := forward(wrapped)
	bundle := SchedulingBarrier(out, append(slices.Clone(wrapped), saved...)...)
	n := len(inputs)
	return IdentityWithCustomGradient(bundle, func(x, v *Node) *Node {
		deps := x.Inputs()[0].Inputs()[1:] // the barrier's: inputs, then saved
		gs = grads(deps[:n], x, deps[n:], v)
		if len(gs) != n {
			panic("model: custom gradient returned the wrong number of gradients")
		}
		return v
	})
}
