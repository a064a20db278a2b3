package model

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// narrow reports whether base weight name is stored narrower than float32
// (Options.StorageDType BFloat16 or Int8) and so converted to float32 in
// the graph for its products.
func (m *Model) narrow(name string) bool {
	v, ok := m.base[name]
	return ok && v.Shape().DType != dtypes.Float32
}

// narrowDense is dense(x, W) for a narrow-stored base weight, with x's
// gradient v·W computed from W converted again in the backward pass, and
// each conversion made after the activation it multiplies (x, then v),
// as quantWeight.dense does for NF4.
//
// A conversion reads only a variable, so the go backend would run every
// one as a step starts, and autodiff would keep the forward's float32 W
// for the backward pass; gradient checkpointing does not recompute it
// either, as it does not derive from the layer's input. Each projection's
// float32 copy then lived through the whole step, on top of the narrow
// weights: Gemma 3 1B at 2 x 2,048 tokens, checkpointed, peaked at 8,132
// MiB with bfloat16 weights against 7,009 with float32 ones (2-core Xeon).
func (m *Model) narrowDense(x *Node, name string) *Node {
	return withGradient([]*Node{x}, func(in []*Node) *Node {
		y := dense(in[0], m.narrowFloat32(name, in[0]))
		return m.scaleRows(y, name)
	}, func(v *Node) []*Node {
		v = m.scaleRows(v, name)
		return []*Node{DotGeneral(v, []int{v.Rank() - 1}, nil, m.narrowFloat32(name, v), []int{0}, nil)}
	})
}

// narrowFloat32 is base weight name's stored values (an Int8 weight's
// codes, unscaled) as float32, converted once after has been computed.
func (m *Model) narrowFloat32(name string, after *Node) *Node {
	w := SchedulingBarrier(m.base[name].NodeValue(after.Graph()), after)
	return ConvertDType(w, dtypes.Float32)
}

// scaleRows multiplies y [..., out] by an Int8-stored weight's row scales
// (the identity for other storage).
func (m *Model) scaleRows(y *Node, name string) *Node {
	sv, ok := m.rowScale(name)
	if !ok {
		return y
	}
	return Mul(y, ExpandLeftToRank(sv.NodeValue(y.Graph()), y.Rank()))
}
