// Package quant stores frozen weights in fewer bits, the way QLoRA does:
// NF4 (4-bit NormalFloat) with bitsandbytes' block layout and its double
// quantization of the block scales, so a frozen base projection of Gemma 3
// takes about 0.52 bytes a value instead of bf16's 2 (issue 21).
//
// The layout follows bitsandbytes (functional.quantize_4bit with
// quant_type="nf4", compress_statistics=True) value for value: the same code
// book, the same rounding thresholds, blocks of 64 values over the flattened
// tensor, two codes a byte with the first in the high nibble, and the
// per-block absmax quantized again to 8 bits in blocks of 256 with the
// signed dynamic map after subtracting their mean. A tensor quantized here
// therefore dequantizes to the values bitsandbytes' would, and tests check
// the tables against bitsandbytes' own constants.
//
// Quantized weights live in memory only: a run's checkpoints and exports
// hold the LoRA weights and the base model's own files, never NF4 data.
package quant

import (
	"fmt"
	"math"
)

// BlockSize is the number of values sharing one absmax (bitsandbytes'
// default blocksize for 4-bit).
const BlockSize = 64

// StatsBlockSize is the number of block absmax values sharing one scale
// in the double quantization (bitsandbytes' nested blocksize).
const StatsBlockSize = 256

// NF4Code is bitsandbytes' NF4 code book (functional.get_4bit_type("nf4")):
// the 16 quantiles of N(0, 1) normalized to [-1, 1], with an exact zero.
var NF4Code = [16]float32{
	-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
	-0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
	0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
	0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
}

// nf4Thresholds are the midpoints between neighbouring codes, the
// constants of bitsandbytes' dQuantizeNF4 decision tree: a normalized value
// above threshold i gets a code above i.
var nf4Thresholds = func() [15]float32 {
	var t [15]float32
	for i := range t {
		t[i] = float32((float64(NF4Code[i]) + float64(NF4Code[i+1])) / 2)
	}
	return t
}()

// NF4Index returns the code of a value already divided by its block's
// absmax: the nearest code, a value exactly between two going to the lower
// one, as bitsandbytes' kernel does.
func NF4Index(x float32) uint8 {
	// Binary search over the thresholds: the number of thresholds below x.
	lo, hi := 0, len(nf4Thresholds)
	for lo < hi {
		mid := (lo + hi) / 2
		if x > nf4Thresholds[mid] {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint8(lo)
}

// NF4 is a tensor stored as NF4 codes with double-quantized block scales.
type NF4 struct {
	// Shape is the original tensor's shape; N its number of values.
	Shape []int
	N     int
	// Packed holds two codes a byte, value 2i in the high nibble and
	// 2i+1 in the low one; an odd N leaves the last low nibble 0.
	Packed []byte
	// Absmax is one 8-bit index into DynamicMap per block of BlockSize
	// values: the block's absmax, less Offset, over its StatsBlockSize
	// group's scale.
	Absmax []uint8
	// AbsmaxScale is one scale per StatsBlockSize blocks (bitsandbytes'
	// state2.absmax); Offset is the mean absmax subtracted before
	// quantizing (state.offset).
	AbsmaxScale []float32
	Offset      float32
}

// QuantizeNF4 stores values (the flattened tensor of the given shape) as
// NF4. It refuses non-finite values, naming the first, and a shape whose
// size is not len(values).
func QuantizeNF4(values []float32, shape []int) (*NF4, error) {
	n := 1
	for i, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("quant: NF4: dimension %d of shape %v is %d, want > 0", i, shape, d)
		}
		n *= d
	}
	if n != len(values) {
		return nil, fmt.Errorf("quant: NF4: shape %v holds %d values, got %d", shape, n, len(values))
	}
	blocks := (n + BlockSize - 1) / BlockSize
	absmax := make([]float32, blocks)
	for b := range blocks {
		end := min((b+1)*BlockSize, n)
		var m float32
		for i := b * BlockSize; i < end; i++ {
			v := values[i]
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("quant: NF4: value %d is %v; only finite weights can be quantized", i, v)
			}
			m = max(m, float32(math.Abs(float64(v))))
		}
		absmax[b] = m
	}
	q := &NF4{Shape: append([]int(nil), shape...), N: n, Packed: make([]byte, (n+1)/2)}
	for b := range blocks {
		// bitsandbytes multiplies by the reciprocal; an all-zero block
		// stores zeros (code 7) instead of 0·Inf.
		var inv float32
		if absmax[b] > 0 {
			inv = 1 / absmax[b]
		}
		end := min((b+1)*BlockSize, n)
		for i := b * BlockSize; i < end; i++ {
			c := uint8(7)
			if inv != 0 {
				c = NF4Index(values[i] * inv)
			}
			if i%2 == 0 {
				q.Packed[i/2] |= c << 4
			} else {
				q.Packed[i/2] |= c
			}
		}
	}
	q.Absmax, q.AbsmaxScale, q.Offset = doubleQuantize(absmax)
	return q, nil
}

// doubleQuantize is bitsandbytes' compress_statistics: subtract the mean,
// then 8-bit blockwise quantization with the signed dynamic map.
func doubleQuantize(absmax []float32) (codes []uint8, scales []float32, offset float32) {
	var sum float64
	for _, a := range absmax {
		sum += float64(a)
	}
	offset = float32(sum / float64(len(absmax)))
	centered := make([]float32, len(absmax))
	for i, a := range absmax {
		centered[i] = a - offset
	}
	codes, scales = QuantizeBlockwise8(centered, StatsBlockSize)
	return codes, scales, offset
}

// BlockAbsmax returns the dequantized absmax of every block.
func (q *NF4) BlockAbsmax() []float32 {
	out := DequantizeBlockwise8(q.Absmax, q.AbsmaxScale, StatsBlockSize)
	for i := range out {
		out[i] += q.Offset
	}
	return out
}

// Dequantize returns the tensor's values: code × block absmax, as
// bitsandbytes' dequantize_4bit.
func (q *NF4) Dequantize() []float32 {
	absmax := q.BlockAbsmax()
	out := make([]float32, q.N)
	for i := range out {
		c := q.Packed[i/2]
		if i%2 == 0 {
			c >>= 4
		} else {
			c &= 0x0f
		}
		out[i] = NF4Code[c] * absmax[i/BlockSize]
	}
	return out
}

// Bytes is the memory the stored tensor takes: codes, block scales, their
// scales and the offset.
func (q *NF4) Bytes() int {
	return len(q.Packed) + len(q.Absmax) + 4*len(q.AbsmaxScale) + 4
}

// NF4Bytes is the memory NF4 storage of n values takes, for estimates made
// before any tensor exists. It equals (*NF4).Bytes of a tensor of n values.
func NF4Bytes(n int64) int64 {
	if n <= 0 {
		return 0
	}
	blocks := (n + BlockSize - 1) / BlockSize
	groups := (blocks + StatsBlockSize - 1) / StatsBlockSize
	return (n+1)/2 + blocks + 4*groups + 4
}
