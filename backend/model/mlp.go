package model

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
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
// gelu(approximate="tanh").
func geluTanh(x *Node) *Node {
	inner := MulScalar(Add(x, MulScalar(Mul(Square(x), x), 0.044715)), math.Sqrt(2/math.Pi))
	return Mul(MulScalar(x, 0.5), OnePlus(Tanh(inner)))
}
