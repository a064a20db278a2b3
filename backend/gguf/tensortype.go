package gguf

import "fmt"

// TensorType is ggml's element type of a tensor (enum ggml_type).
type TensorType uint32

// Tensor types this package encodes and decodes, numbered as in ggml.
const (
	TensorF32  TensorType = 0
	TensorF16  TensorType = 1
	TensorQ8_0 TensorType = 8
	TensorQ4_K TensorType = 12
	TensorBF16 TensorType = 30
)

// typeTraits describes a ggml type's block layout: BlockElems values are
// stored in BlockBytes bytes.
type typeTraits struct {
	name       string
	blockElems int
	blockBytes int
}

var tensorTraits = map[TensorType]typeTraits{
	TensorF32:  {"F32", 1, 4},
	TensorF16:  {"F16", 1, 2},
	TensorQ8_0: {"Q8_0", qk8_0, 2 + qk8_0},
	TensorQ4_K: {"Q4_K", qkK, q4KBytes},
	TensorBF16: {"BF16", 1, 2},
}

// ParseTensorType accepts a type name as users write it ("f16", "Q8_0").
func ParseTensorType(s string) (TensorType, error) {
	for t, tr := range tensorTraits {
		if equalFold(tr.name, s) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown tensor type %q (want f32, f16, bf16, q8_0 or q4_k)", s)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Known reports whether this package can encode and decode t.
func (t TensorType) Known() bool {
	_, ok := tensorTraits[t]
	return ok
}

func (t TensorType) String() string {
	if tr, ok := tensorTraits[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("ggml_type(%d)", uint32(t))
}

// BlockElems is the number of values in one quantization block (1 for
// plain float types).
func (t TensorType) BlockElems() int { return tensorTraits[t].blockElems }

// DataSize is the encoded byte size of n values of type t. The count must
// be a multiple of the block size; callers check that with CheckShape.
func (t TensorType) DataSize(n uint64) uint64 {
	tr := tensorTraits[t]
	return n / uint64(tr.blockElems) * uint64(tr.blockBytes)
}

// CheckShape verifies that a tensor of the given ggml dims can be stored as
// t: quantized types need the innermost dimension to be a multiple of the
// block size, since rows are quantized independently.
func (t TensorType) CheckShape(dims []uint64) error {
	tr, ok := tensorTraits[t]
	if !ok {
		return fmt.Errorf("unsupported tensor type %s", t)
	}
	if len(dims) == 0 || len(dims) > 4 {
		return fmt.Errorf("tensor must have 1 to 4 dimensions, got %d", len(dims))
	}
	for i, d := range dims {
		if d == 0 {
			return fmt.Errorf("dimension %d is zero", i)
		}
	}
	if dims[0]%uint64(tr.blockElems) != 0 {
		return fmt.Errorf("innermost dimension %d is not a multiple of %s's block size %d", dims[0], t, tr.blockElems)
	}
	return nil
}

// Elements is the product of dims.
func Elements(dims []uint64) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}
