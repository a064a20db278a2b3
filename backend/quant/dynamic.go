package quant

import (
	"math"
	"slices"
	"sync"
)

// DynamicMap returns bitsandbytes' signed 8-bit dynamic quantization map
// (functional.create_dynamic_map(signed=True), 7 exponent bits): 256
// sorted values in [-1, 1] spaced like a float with a 7-level decimal
// exponent, used for the double quantization of NF4's block scales.
// It is computed as bitsandbytes computes it, in float32 with torch's
// linspace, so values agree to the float32 rounding of that computation.
func DynamicMap() []float32 {
	dynamicOnce.Do(func() { dynamicMap = createDynamicMap() })
	return slices.Clone(dynamicMap)
}

var (
	dynamicOnce sync.Once
	dynamicMap  []float32
)

func createDynamicMap() []float32 {
	const maxExponentBits, totalBits = 7, 8
	nonSignBits := totalBits - 1
	var data []float32
	for i := range maxExponentBits {
		items := 1<<(i+nonSignBits-maxExponentBits) + 1
		b := linspace32(0.1, 1, items)
		scale := float32(math.Pow(10, float64(-(maxExponentBits-1)+i)))
		for j := 0; j+1 < len(b); j++ {
			mean := (b[j] + b[j+1]) / 2
			data = append(data, scale*mean, -scale*mean)
		}
	}
	data = append(data, 0, 1)
	for len(data) < 1<<totalBits {
		data = append(data, 0)
	}
	slices.Sort(data)
	return data
}

// linspace32 is torch.linspace in float32: the first half counted from the
// start, the second from the end, as ATen's CPU kernel does.
func linspace32(start, end float32, steps int) []float32 {
	out := make([]float32, steps)
	if steps == 1 {
		out[0] = start
		return out
	}
	step := (end - start) / float32(steps-1)
	half := steps / 2
	for i := range out {
		if i < half {
			out[i] = start + step*float32(i)
		} else {
			out[i] = end - step*float32(steps-i-1)
		}
	}
	return out
}

// quantizeDynamic is bitsandbytes' dQuantize<0> (round to nearest): a
// binary search of the sorted 256-value code from its middle, then the
// nearer of the two neighbours, ties going to the pivot.
func quantizeDynamic(code []float32, x float32) uint8 {
	pivot, upperPivot, lowerPivot := 127, 255, 0
	lower, upper := float32(-1), float32(1)
	val := code[pivot]
	for i := 64; i > 0; i >>= 1 {
		if x > val {
			lowerPivot, lower = pivot, val
			pivot += i
		} else {
			upperPivot, upper = pivot, val
			pivot -= i
		}
		val = code[pivot]
	}
	if upperPivot == 255 {
		upper = code[upperPivot]
	}
	if lowerPivot == 0 {
		lower = code[lowerPivot]
	}
	if x > val {
		if x > (upper+val)*0.5 {
			return uint8(upperPivot)
		}
		return uint8(pivot)
	}
	if x < (lower+val)*0.5 {
		return uint8(lowerPivot)
	}
	return uint8(pivot)
}

// QuantizeBlockwise8 is bitsandbytes' quantize_blockwise with the dynamic
// map: per block of blockSize values, the absmax, and each value divided
// by it rounded to the nearest map entry.
func QuantizeBlockwise8(values []float32, blockSize int) (codes []uint8, absmax []float32) {
	code := DynamicMap()
	zero := uint8(slices.Index(code, 0))
	blocks := (len(values) + blockSize - 1) / blockSize
	codes = make([]uint8, len(values))
	absmax = make([]float32, blocks)
	for b := range blocks {
		end := min((b+1)*blockSize, len(values))
		var m float32
		for _, v := range values[b*blockSize : end] {
			m = max(m, float32(math.Abs(float64(v))))
		}
		absmax[b] = m
		for i := b * blockSize; i < end; i++ {
			if m == 0 {
				codes[i] = zero
				continue
			}
			codes[i] = quantizeDynamic(code, values[i]*(1/m))
		}
	}
	return codes, absmax
}

// DequantizeBlockwise8 inverts QuantizeBlockwise8: map value × block absmax.
func DequantizeBlockwise8(codes []uint8, absmax []float32, blockSize int) []float32 {
	code := DynamicMap()
	out := make([]float32, len(codes))
	for i, c := range codes {
		out[i] = code[c] * absmax[i/blockSize]
	}
	return out
}
