package model

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// withGradient returns forward(inputs) with the gradients of inputs given
// by grads(v), v being the gradient arriving at the output, instead of
// those autodiff would derive through forward.
//
// GoMLX v0.28 attaches custom gradients only to one-input identities, so
// one identity on the output records v and builds the gradients, and one
// identity on each input returns its share. Autodiff visits nodes in
// reverse creation order, and the input identities are created before the
// output's, so they are always asked after it. The gradients autodiff
// derives through forward still reach the input identities, which ignore
// them; nothing consumes them, and the go backend's dead-code elimination
// drops them (and any forward intermediates only they needed) before they
// run.
//
// Inputs that need no gradient (masks, integer tensors) must not be
// passed: their share would be ignored anyway.
func withGradient(inputs []*Node, forward func(in []*Node) *Node, grads func(v *Node) []*Node) *Node {
	var gs []*Node
	wrapped := gradientInputs(inputs, &gs)
	out := forward(wrapped)
	return IdentityWithCustomGradient(out, func(_, v *Node) *Node {
		gs = grads(v)
		if len(gs) != len(inputs) {
			panic("model: custom gradient returned the wrong number of gradients")
		}
		return v
	})
}

// gradientInputs wraps each input in an identity whose gradient is
// (*gs)[i], which the output's custom gradient sets before autodiff asks
// the inputs (they were created first, and autodiff goes in reverse
// creation order).
func gradientInputs(inputs []*Node, gs *[]*Node) []*Node {
	wrapped := make([]*Node, len(inputs))
	for i, in := range inputs {
		wrapped[i] = IdentityWithCustomGradient(in, func(_, _ *Node) *Node {
			if *gs == nil {
				panic("model: custom gradient of an input requested before its output's")
			}
			return (*gs)[i]
		})
	}
	return wrapped
}
