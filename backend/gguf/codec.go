package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// qk8_0 is the number of values in a Q8_0 block: one float16 scale followed
// by 32 signed bytes.
const qk8_0 = 32

// Encode converts float32 values to t's on-disk bytes. len(values) must be
// a multiple of t's block size.
func Encode(t TensorType, values []float32) ([]byte, error) {
	if !t.Known() {
		return nil, fmt.Errorf("encode: unsupported tensor type %s", t)
	}
	if len(values)%t.BlockElems() != 0 {
		return nil, fmt.Errorf("encode %s: %d values is not a multiple of the block size %d", t, len(values), t.BlockElems())
	}
	out := make([]byte, t.DataSize(uint64(len(values))))
	switch t {
	case TensorF32:
		for i, v := range values {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
	case TensorF16:
		for i, v := range values {
			binary.LittleEndian.PutUint16(out[2*i:], HalfFromFloat32(v))
		}
	case TensorBF16:
		for i, v := range values {
			binary.LittleEndian.PutUint16(out[2*i:], BFloat16FromFloat32(v))
		}
	case TensorQ8_0:
		quantizeQ8_0(values, out)
	case TensorQ4_K:
		quantizeQ4K(values, out)
	}
	return out, nil
}

// Decode converts t's on-disk bytes for n values back to float32.
func Decode(t TensorType, data []byte, n int) ([]float32, error) {
	if !t.Known() {
		return nil, fmt.Errorf("decode: unsupported tensor type %s", t)
	}
	if n%t.BlockElems() != 0 {
		return nil, fmt.Errorf("decode %s: %d values is not a multiple of the block size %d", t, n, t.BlockElems())
	}
	if want := t.DataSize(uint64(n)); uint64(len(data)) != want {
		return nil, fmt.Errorf("decode %s: %d values need %d bytes, got %d", t, n, want, len(data))
	}
	out := make([]float32, n)
	switch t {
	case TensorF32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case TensorF16:
		for i := range out {
			out[i] = HalfToFloat32(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case TensorBF16:
		for i := range out {
			out[i] = BFloat16ToFloat32(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case TensorQ8_0:
		dequantizeQ8_0(data, out)
	case TensorQ4_K:
		dequantizeQ4K(data, out)
	}
	return out, nil
}

// quantizeQ8_0 follows ggml's reference quantizer: per block of 32 values
// the scale is max|x|/127 (stored as float16) and each value is rounded,
// half away from zero, to the nearest multiple of it.
func quantizeQ8_0(values []float32, out []byte) {
	const blockBytes = 2 + qk8_0
	for b := 0; b < len(values)/qk8_0; b++ {
		block := values[b*qk8_0 : (b+1)*qk8_0]
		var amax float32
		for _, v := range block {
			if a := float32(math.Abs(float64(v))); a > amax {
				amax = a
			}
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		dst := out[b*blockBytes:]
		binary.LittleEndian.PutUint16(dst, HalfFromFloat32(d))
		for j, v := range block {
			dst[2+j] = byte(int8(math.Round(float64(v * id))))
		}
	}
}

func dequantizeQ8_0(data []byte, out []float32) {
	const blockBytes = 2 + qk8_0
	for b := 0; b < len(out)/qk8_0; b++ {
		src := data[b*blockBytes:]
		d := HalfToFloat32(binary.LittleEndian.Uint16(src))
		for j := 0; j < qk8_0; j++ {
			out[b*qk8_0+j] = d * float32(int8(src[2+j]))
		}
	}
}
