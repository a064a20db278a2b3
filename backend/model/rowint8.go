package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"
)

// Int8 storage (Options.StorageDType = Int8) keeps every base matrix (the
// embeddings, the projections, an untied LM head) as int8 codes with one
// float32 scale per row, w[r][c] = scale[r]·code[r][c], codes in
// [-127, 127] and scale = max|w[r]|/127: weight-only, per-output-channel
// quantization, the scheme of W8A16 inference engines. Norm weights and
// biases stay float32. It is for answering (chat, generation): a decode
// step reads a quarter of the float32 bytes, and a product with one row
// applies the scale to its output, so the backend's matrix-vector kernel
// reads the codes directly. Graphs over many rows (prefill) convert each
// matrix whole, as for BFloat16 storage.

// storesRowInt8 reports whether base weight spec is kept as int8 codes
// with row scales.
func (m *Model) storesRowInt8(spec weightSpec) bool {
	return m.storage == dtypes.Int8 && !spec.norm && !spec.bias && len(spec.shape) == 2
}

// plainDType is the dtype of base weights kept as they are: the storage
// dtype, or Float32 under Int8 storage (norms, biases).
func (m *Model) plainDType() dtypes.DType {
	if m.storage == dtypes.Int8 {
		return dtypes.Float32
	}
	return m.storage
}

// rowInt8Block bounds the float32 values addRowInt8 holds at once.
const rowInt8Block = 1 << 22

// addRowInt8 quantizes a [rows, cols] matrix and stores codes and scales as
// non-trainable variables: codes as the base weight, scales next to it
// (m.rowScale). read fills dst with the flat elements from at on, a block
// of whole rows at a time in order, so no float32 copy of a large table
// lives at once (Gemma 3 4B's embedding would be 2.7 GB).
func (m *Model) addRowInt8(name string, shape []int, read func(at int, dst []float32) error) error {
	rows, cols := shape[0], shape[1]
	codes, err := m.newTensor(dtypes.Int8, shape)
	if err != nil {
		return err
	}
	scales, err := m.newTensor(dtypes.Float32, []int{rows})
	if err != nil {
		return err
	}
	blockRows := max(1, rowInt8Block/cols)
	vals := make([]float32, min(rows, blockRows)*cols)
	var codesErr, readErr error
	err = tensors.MutableFlatData(scales, func(sf []float32) {
		codesErr = tensors.MutableFlatData(codes, func(cf []int8) {
			for r0 := 0; r0 < rows; r0 += blockRows {
				r1 := min(r0+blockRows, rows)
				block := vals[:(r1-r0)*cols]
				if readErr = read(r0*cols, block); readErr != nil {
					return
				}
				for r := r0; r < r1; r++ {
					sf[r] = quantizeRowInt8(block[(r-r0)*cols:(r-r0+1)*cols], cf[r*cols:(r+1)*cols])
				}
			}
		})
	})
	if err = errors.Join(err, codesErr, readErr); err != nil {
		return fmt.Errorf("model: quantize %s: %w", name, err)
	}
	if err := m.addBase(name, codes); err != nil {
		return err
	}
	v, err := m.store.CreateVariable(baseScope+"/"+name+".row_scale", scales)
	if err != nil {
		return fmt.Errorf("model: variable %s: %w", name, err)
	}
	v.SetTrainable(false)
	m.rowScales[name] = v
	return nil
}

// quantizeRowInt8 writes row's codes and returns its scale. A row of zeros
// (or non-finite values) gets scale 0 and zero codes.
func quantizeRowInt8(row []float32, codes []int8) float32 {
	var absmax float64
	for _, v := range row {
		absmax = max(absmax, math.Abs(float64(v)))
	}
	if absmax == 0 || math.IsInf(absmax, 0) || math.IsNaN(absmax) {
		clear(codes)
		return 0
	}
	scale := absmax / 127
	for i, v := range row {
		codes[i] = int8(max(-127, min(127, math.Round(float64(v)/scale))))
	}
	return float32(scale)
}

// rowScale returns the row scales of an Int8-stored base weight.
func (m *Model) rowScale(name string) (*mlmodel.Variable, bool) {
	v, ok := m.rowScales[name]
	return v, ok
}

// dequantizeRows is codes [rows, cols] times scales [rows], as float32.
func dequantizeRows(codes, scales *Node) *Node {
	return Mul(ConvertDType(codes, dtypes.Float32), ExpandAxes(scales, -1))
}

// baseDense is dense(x, W) for base weight name. An Int8-stored W is not
// dequantized: the product is taken with its codes and the output columns
// scaled, (x·codesᵀ)·scale, so a decode step's matrix-vector kernel reads
// the int8 codes themselves. A W stored narrower than float32 multiplies
// more than a few rows through narrowDense (narrow.go).
func (m *Model) baseDense(x *Node, name string) *Node {
	g := x.Graph()
	if m.narrow(name) && !fewRows(x) {
		return m.narrowDense(x, name)
	}
	sv, ok := m.rowScale(name)
	if !ok {
		return dense(x, m.weight(g, name))
	}
	codes := ConvertDType(m.base[name].NodeValue(g), dtypes.Float32)
	y := dense(x, codes)
	return Mul(y, ExpandLeftToRank(sv.NodeValue(g), y.Rank()))
}

// baseGather looks ids [..., 1] up in base weight name's rows: for an
// Int8-stored table, the gathered codes times their rows' scales (the
// backend converts only the gathered rows).
func (m *Model) baseGather(name string, ids *Node) *Node {
	g := ids.Graph()
	sv, ok := m.rowScale(name)
	if !ok {
		return Gather(m.weight(g, name), ids)
	}
	rows := Gather(ConvertDType(m.base[name].NodeValue(g), dtypes.Float32), ids)
	return Mul(rows, Gather(ExpandAxes(sv.NodeValue(g), -1), ids))
}

// rowInt8Float32 dequantizes an Int8-stored variable on the host.
func rowInt8Float32(codes, scales *mlmodel.Variable) ([]float32, error) {
	ct, err := codes.Value()
	if err != nil {
		return nil, err
	}
	st, err := scales.Value()
	if err != nil {
		return nil, err
	}
	dims := ct.Shape().Dimensions
	cols := dims[len(dims)-1]
	out := make([]float32, ct.Size())
	var codesErr error
	err = tensors.ConstFlatData(st, func(sf []float32) {
		codesErr = tensors.ConstFlatData(ct, func(cf []int8) {
			for i, c := range cf {
				out[i] = float32(c) * sf[i/cols]
			}
		})
	})
	return out, errors.Join(err, codesErr)
}
