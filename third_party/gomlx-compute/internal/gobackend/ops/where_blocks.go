package ops

import (
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/compute/internal/gobackend"
)

// whereTrailingBlocks handles a Where whose condition selects whole trailing
// blocks: the condition has the output's leading dimensions and 1 on every
// trailing axis (e.g. [1, L, 1, 1] choosing rows of a [1, L, KV, D] cache),
// and both branches have the output's shape. Each condition value then picks
// one contiguous block, copied with memmove; when the output reuses a
// branch's buffer, only the other branch's blocks are copied. The generic
// path visits every element through a broadcasting iterator instead.
//
// It returns false (and does nothing) for other shapes or dtypes.
func whereTrailingBlocks(conditionBuf, onTrueBuf, onFalseBuf, outputBuf *gobackend.Buffer) bool {
	out, cond := outputBuf.RawShape, conditionBuf.RawShape
	if cond.Rank() != out.Rank() || cond.IsScalar() ||
		!onTrueBuf.RawShape.Equal(out) || !onFalseBuf.RawShape.Equal(out) {
		return false
	}
	lead := 0
	for lead < out.Rank() && cond.Dimensions[lead] == out.Dimensions[lead] {
		lead++
	}
	block := 1
	for axis := lead; axis < out.Rank(); axis++ {
		if cond.Dimensions[axis] != 1 {
			return false
		}
		block *= out.Dimensions[axis]
	}
	if block < 8 {
		return false // Not worth it: the generic path does fine.
	}
	c := conditionBuf.Flat.([]bool)
	switch o := outputBuf.Flat.(type) {
	case []float32:
		copyBlocks(c, onTrueBuf.Flat.([]float32), onFalseBuf.Flat.([]float32), o, block)
	case []float64:
		copyBlocks(c, onTrueBuf.Flat.([]float64), onFalseBuf.Flat.([]float64), o, block)
	case []bfloat16.BFloat16:
		copyBlocks(c, onTrueBuf.Flat.([]bfloat16.BFloat16), onFalseBuf.Flat.([]bfloat16.BFloat16), o, block)
	case []float16.Float16:
		copyBlocks(c, onTrueBuf.Flat.([]float16.Float16), onFalseBuf.Flat.([]float16.Float16), o, block)
	case []int32:
		copyBlocks(c, onTrueBuf.Flat.([]int32), onFalseBuf.Flat.([]int32), o, block)
	case []int64:
		copyBlocks(c, onTrueBuf.Flat.([]int64), onFalseBuf.Flat.([]int64), o, block)
	default:
		return false
	}
	return true
}

func copyBlocks[T any](cond []bool, onTrue, onFalse, out []T, block int) {
	outIsTrue := len(out) > 0 && &out[0] == &onTrue[0]
	outIsFalse := len(out) > 0 && &out[0] == &onFalse[0]
	for i, c := range cond {
		lo, hi := i*block, (i+1)*block
		switch {
		case c && !outIsTrue:
			copy(out[lo:hi], onTrue[lo:hi])
		case !c && !outIsFalse:
			copy(out[lo:hi], onFalse[lo:hi])
		}
	}
}
