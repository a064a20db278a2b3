package quant

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// Int8BlockSize is the number of values sharing one absmax in Int8
// storage: NF4's block, so the two formats differ only in the code.
// bitsandbytes' quantize_blockwise defaults to 4096; 64 costs 1/16 byte a
// value more and keeps an outlier from flattening 4095 neighbours.
const Int8BlockSize = BlockSize

// Int8 is a tensor stored as 8-bit blockwise codes of the signed dynamic
// map (QuantizeBlockwise8) with one float32 absmax a block: about 1.06
// bytes a value, twice NF4's, with about a tenth of its rounding error.
type Int8 struct {
	Shape  []int
	Codes  []uint8
	Absmax []float32
}

// QuantizeInt8 stores values (the flattened tensor of the given shape) as
// Int8, refusing non-finite values and a shape that does not hold them.
func QuantizeInt8(values []float32, shape []int) (*Int8, error) {
	n := 1
	for i, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("quant: int8: dimension %d of shape %v is %d, want > 0", i, shape, d)
		}
		n *= d
	}
	if n != len(values) {
		return nil, fmt.Errorf("quant: int8: shape %v holds %d values, got %d", shape, n, len(values))
	}
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("quant: int8: value %d is %v; only finite weights can be quantized", i, v)
		}
	}
	codes, absmax := QuantizeBlockwise8(values, Int8BlockSize)
	return &Int8{Shape: append([]int(nil), shape...), Codes: codes, Absmax: absmax}, nil
}

// Dequantize returns the tensor's values.
func (q *Int8) Dequantize() []float32 {
	return DequantizeBlockwise8(q.Codes, q.Absmax, Int8BlockSize)
}

// Bytes is the memory the stored tensor takes.
func (q *Int8) Bytes() int { return len(q.Codes) + 4*len(q.Absmax) }

// Int8Bytes is the memory Int8 storage of n values takes, for estimates
// made before any tensor exists; it equals (*Int8).Bytes.
func Int8Bytes(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return n + 4*((n+Int8BlockSize-1)/Int8BlockSize)
}

// Tensors returns the stored parts as tensors, the inputs of
// DequantizeInt8Graph: codes [N] uint8 and block absmax [blocks] float32.
func (q *Int8) Tensors() (codes, absmax *tensors.Tensor) {
	return tensors.FromFlatDataAndDimensions(q.Codes, len(q.Codes)),
		tensors.FromFlatDataAndDimensions(q.Absmax, len(q.Absmax))
}

// DequantizeInt8Graph builds, inside a graph, the tensor Int8 storage
// holds, shaped shape and cast to dtype: map[code] × block absmax, in
// float32, as (*Int8).Dequantize.
func DequantizeInt8Graph(codes, absmax *Node, shape []int, dtype dtypes.DType) *Node {
	return DequantizeInt8GraphAfter(codes, absmax, nil, shape, dtype)
}

// DequantizeInt8GraphAfter is DequantizeInt8Graph waiting for after, a
// zero scalar (see DequantizeNF4GraphAfter for why).
func DequantizeInt8GraphAfter(codes, absmax, after *Node, shape []int, dtype dtypes.DType) *Node {
	g := codes.Graph()
	n := codes.Shape().Dimensions[0]
	blocks := (n + Int8BlockSize - 1) / Int8BlockSize
	c := codes // tied first, as in DequantizeNF4GraphAfter
	if after != nil {
		c = Add(c, ConvertDType(after, dtypes.Uint8))
	}
	c = ConvertDType(c, dtypes.Int32)
	vals := Gather(Const(g, DynamicMap()), InsertAxes(c, -1))
	vals = padTo(vals, blocks*Int8BlockSize)
	vals = Mul(Reshape(vals, blocks, Int8BlockSize), InsertAxes(absmax, -1))
	vals = Reshape(vals, blocks*Int8BlockSize)
	if n < blocks*Int8BlockSize { // a partial last block: no copy otherwise
		vals = Slice(vals, AxisRange(0, n))
	}
	return ConvertDType(Reshape(vals, shape...), dtype)
}
