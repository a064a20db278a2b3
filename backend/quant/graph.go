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
	return DequantizeNF4GraphAfter(packed, absmax, absmaxScale, offset, nil, shape, dtype)
}

// DequantizeNF4GraphAfter is DequantizeNF4Graph made to wait for after, a
// float32 scalar that must be zero (see Zero). Dequantizations depend
// only on stored variables, so a backend free to schedule them would run
// them all at a step's start, and one that removes duplicate expressions
// would merge a backward pass's dequantization with the forward one's:
// either keeps every projection's float copy alive at once. Tying each to
// the activation it multiplies runs it just before it is needed, and
// keeps the forward and backward ones apart. nil waits for nothing.
func DequantizeNF4GraphAfter(packed, absmax, absmaxScale, offset, after *Node, shape []int, dtype dtypes.DType) *Node {
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

	// Codes: each byte looks up its two values, the high nibble's first,
	// in a 256×2 table, one gather with no int32 copy of every code.
	// The tie comes first: anything computed from packed alone would be
	// computed early (an int32 copy holds 2 bytes a weight).
	p := packed
	if after != nil {
		p = Add(p, ConvertDType(after, dtypes.Uint8))
	}
	p = ConvertDType(p, dtypes.Int32)
	vals := Gather(Const(g, nf4PairTable()), InsertAxes(p, -1)) // [bytes, 2]
	vals = padTo(Reshape(vals, 2*packed.Shape().Dimensions[0]), blocks*BlockSize)
	vals = Mul(Reshape(vals, blocks, BlockSize), InsertAxes(scales, -1))
	vals = Reshape(vals, blocks*BlockSize)
	if n < blocks*BlockSize { // a partial last block: no copy otherwise
		vals = Slice(vals, AxisRange(0, n))
	}
	return ConvertDType(Reshape(vals, shape...), dtype)
}

// nf4PairTable is the two values of every byte of packed codes: row b is
// (NF4Code[b>>4], NF4Code[b&15]).
func nf4PairTable() [][]float32 {
	t := make([][]float32, 256)
	for b := range t {
		t[b] = []float32{NF4Code[b>>4], NF4Code[b&0x0f]}
	}
	return t
}

// Zero returns a float32 scalar that is 0 and depends on x (its first
// value times zero): the after of DequantizeNF4GraphAfter and
// DequantizeInt8GraphAfter. A non-finite first value gives NaN, but then
// x is already non-finite and so is what it multiplies.
func Zero(x *Node) *Node {
	first := Reshape(Slice(Reshape(x, x.Shape().Size()), AxisRange(0, 1)))
	return MulScalar(ConvertDType(first, dtypes.Float32), 0)
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
