package model

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// mlp is the gated feed-forward block shared by all architectures:
// down(act(gate(x)) · up(x)), with GELU-tanh for Gemma (GeGLU) and SiLU for
// Llama/Qwen (SwiGLU).
func (m *Model) mlp(x *Node, layer int) *Node {
	gate := m.linear(x, layer, "gate_proj")
	up := m.linear(x, layer, "up_proj")
	var act *Node
	switch m.cfg.HiddenAct {
	case "silu":
		act = Mul(gate, Sigmoid(gate))
	default: // gelu_pytorch_tanh
		act = geluTanh(gate)
	}
	return m.linear(Mul(act, up), layer, "down_proj")
}

// geluTanh is 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), PyTorch's
// gelu(approximate="tanh"). Since (1 + tanh z)/2 = σ(2z) it equals
// x·σ(u) with u = x·(a + b·x²), a = 2√(2/π), b = 0.044715·a.
//
// The value comes from GoMLX's GeluApproximate, one fused pass on the go
// backend; the gradient is written out (geluTanhSlope), because the go
// backend's fused GELU gradient disagrees with finite differences
// (TestLoRAGradientsMatchFiniteDifferences fails with it). Autodiff then
// keeps only x for the backward pass, and under gradient checkpointing not
// even that: the gradient reads x back through the graph
// (withSavedGradient), so it gets the layer's recomputed x. A closure
// holding the forward's x kept every layer's [B, T, intermediate] gate
// alive until the backward pass: 26 × 113 MB at Gemma 3 1B's 2 × 2048
// tokens, the largest part of its checkpointed step's peak.
func geluTanh(x *Node) *Node {
	return withSavedGradient([]*Node{x}, func(in []*Node) (*Node, []*Node) {
		return activation.GeluApproximate(in[0]), nil
	}, func(in []*Node, _ *Node, _ []*Node, v *Node) []*Node {
		return []*Node{Mul(v, geluTanhSlope(in[0]))}
	})
}

// geluTanhSlope is d/dx x·σ(u) = s + x·s·(1 - s)·(a + 3b·x²), s = σ(u).
func geluTanhSlope(x *Node) *Node {
	a := 2 * math.Sqrt(2/math.Pi)
	b := 0.044715 * a
	x2 := Square(x)
	s := Sigmoid(Mul(x, AddScalar(MulScalar(x2, b), a)))
	du := AddScalar(MulScalar(x2, 3*b), a)
	return Add(s, Mul(Mul(x, Mul(s, OneMinus(s))), du))
}
