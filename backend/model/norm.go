package model

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph-building code reads better with GoMLX ops unqualified
)

// rmsNorm normalizes over the last axis: x / sqrt(mean(x²) + eps) · (offset + w).
// Gemma stores weights as offsets from 1 (offset 1); Llama and Qwen do not.
// Div by Sqrt instead of Rsqrt: GoMLX v0.28 has no gradient for Rsqrt.
func rmsNorm(x, w *Node, eps, offset float64) *Node {
	ms := ReduceAndKeep(Square(x), ReduceMean, -1)
	// The reciprocal is taken on the reduced [..., 1] tensor so the full
	// tensor gets a multiply instead of a divide.
	y := Mul(x, Reciprocal(Sqrt(AddScalar(ms, eps))))
	if offset != 0 {
		w = AddScalar(w, offset)
	}
	return Mul(y, ExpandLeftToRank(w, x.Rank()))
}

// norm applies the named RMSNorm weight with the architecture's offset.
func (m *Model) norm(x *Node, weight string) *Node {
	return rmsNorm(x, m.weight(x.Graph(), weight), m.cfg.RMSNormEps, m.traits.normOffset)
}

// weight returns a base weight as a float32 node.
func (m *Model) weight(g *Graph, name string) *Node {
	if qw, ok := m.qbase[name]; ok {
		return qw.node(g, nil)
	}
	v, ok := m.base[name]
	if !ok {
		panic("model: missing base weight " + name)
	}
	if sv, ok := m.rowScale(name); ok {
		return dequantizeRows(v.NodeValue(g), sv.NodeValue(g))
	}
	n := v.NodeValue(g)
	if n.DType() != dtypes.Float32 {
		n = ConvertDType(n, dtypes.Float32)
	}
	// No StopGradient here: on the go backend it is an Identity op that
	// copies the weight at every step, and the backend's dead-code
	// elimination already drops the unused gradients of frozen weights.
	return n
}
