package quant

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// Tensors returns the stored parts as tensors, the inputs of
// DequantizeNF4Graph: packed codes [ceil(N/2)] uint8, block absmax codes
// [blocks] uint8, their scales [groups] float32 and the offset.
func (q *NF4) Tensors() (packed, absmax, absmaxScale *tensors.Tensor, offset float32) {
	return tensors.FromFlatDataAndDimensions(q.Packed, len(q.Packed)),
		tensors.FromFlatDataAndDimensions(q.Absmax, len(q.Absmax)),
		tensors.FromFlatDataAndDimensions(q.AbsmaxScale, len(q.AbsmaxScale)),
		q.Offset
}

// DequantizeNF4Graph builds, inside a graph, the tensor NF4 storage holds,
// shaped shape and cast to dtype: what a frozen projection stored as NF4
// multiplies with, so only the 4-bit codes stay resident between steps.
// The arithmetic is (*NF4).Dequantize's, in float32: block absmax =
// map[code] × group scale + offset, value = NF4 code × block absmax.
//
// packed, absmax and absmaxScale are the nodes of Tensors' first three
// results, offset a float32 scalar node. Nothing here depends on the
// values, so one graph serves every tensor of the same shape.
func DequantizeNF4Graph(packed, absmax, absmaxScale, offset *Node, shape []int, dtype dtypes.DType) *Node {
	g := packed.Graph()
	n := 1
	for _, d := range shape {
		n *= d
	}
	blocks := (n + BlockSize - 1) / BlockSize
	groups := (blocks + StatsBlockSize - 1) / StatsBlockSize

	// Block absmax: the 8-bit dynamic code times its group's scale.
	dyn := Gather(Const(g, DynamicMap()), InsertAxes(ConvertDType(absmax, dtypes.Int32), -1))
	dyn = padTo(dyn, groups*StatsBlockSize)
	scales := Mul(Reshape(dyn, groups, StatsBlockSize), InsertAxes(absmaxScale, -1))
	scales = Slice(Reshape(scales, groups*StatsBlockSize), AxisRange(0, blocks))
	scales = Add(scales, offset)

	// Codes: the high nibble first, then the low one.
	p := ConvertDType(packed, dtypes.Int32)
	hi := BitwiseShiftRightLogicalScalar(p, 4)
	lo := BitwiseAnd(p, ConstAsDType(g, dtypes.Int32, 0x0f))
	codes := Reshape(Stack([]*Node{hi, lo}, -1), 2*packed.Shape().Dimensions[0])
	codes = padTo(codes, blocks*BlockSize)
	nf4 := make([]float32, len(NF4Code))
	copy(nf4, NF4Code[:])
	vals := Gather(Const(g, nf4), InsertAxes(codes, -1))
	vals = Mul(Reshape(vals, blocks, BlockSize), InsertAxes(scales, -1))
	vals = Slice(Reshape(vals, blocks*BlockSize), AxisRange(0, n))
	return ConvertDType(Reshape(vals, shape...), dtype)
}

// padTo extends a vector with zeros to size values, or cuts it to them.
func padTo(x *Node, size int) *Node {
	m := x.Shape().Dimensions[0]
	switch {
	case m == size:
		return x
	case m > size:
		return Slice(x, AxisRange(0, size))
	}
	return Concatenate([]*Node{x, Zeros(x.Graph(), shapes.Make(x.DType(), size-m))}, 0)
}
