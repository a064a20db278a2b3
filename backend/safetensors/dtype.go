package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

// DType is a safetensors element type name as written in the header.
type DType string

// Element types of the format. Only the floating-point ones can be converted
// to float32; the integer ones are read and written as raw bytes.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size returns the number of bytes of one element, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// IsFloat reports whether values of this type can be converted to float32.
func (d DType) IsFloat() bool {
	switch d {
	case F64, F32, F16, BF16:
		return true
	}
	return false
}

// DecodeFloat32 converts little-endian raw bytes of dtype src into dst, which
// must hold exactly len(raw)/src.Size() elements.
func DecodeFloat32(src DType, raw []byte, dst []float32) error {
	size := src.Size()
	if !src.IsFloat() {
		return fmt.Errorf("safetensors: cannot convert %s to F32", src)
	}
	if len(raw) != len(dst)*size {
		return fmt.Errorf("safetensors: %d bytes of %s do not hold %d values", len(raw), src, len(dst))
	}
	switch src {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
	case F16:
		for i := range dst {
			dst[i] = float16.FromBits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	}
	return nil
}

// EncodeFloat32 converts values to little-endian bytes of dtype dst, rounding
// to nearest-even for the 16-bit formats.
func EncodeFloat32(dst DType, values []float32) ([]byte, error) {
	if !dst.IsFloat() {
		return nil, fmt.Errorf("safetensors: cannot encode F32 values as %s", dst)
	}
	out := make([]byte, len(values)*dst.Size())
	switch dst {
	case F32:
		for i, v := range values {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
	case BF16:
		for i, v := range values {
			binary.LittleEndian.PutUint16(out[2*i:], bfloat16.FromFloat32(v).Bits())
		}
	case F16:
		for i, v := range values {
			binary.LittleEndian.PutUint16(out[2*i:], float16.FromFloat32(v).Bits())
		}
	case F64:
		for i, v := range values {
			binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(float64(v)))
		}
	}
	return out, nil
}
