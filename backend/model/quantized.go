package model

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/quant"
)

// Quantizations of the frozen projections (Options.Quantization): the
// values runconfig's model.quantization takes.
const (
	QuantNone = "none"
	QuantNF4  = "nf4"
	QuantInt8 = "int8"
)

// Store scope of the quantized projections' parts.
const quantScope = "/qbase"

// quantWeight is a frozen projection kept quantized: its parts are
// non-trainable variables (uint8 codes, their scales), dequantized in
// every graph that reads the weight, so no float copy outlives a step.
type quantWeight struct {
	kind  string
	shape []int
	// nf4: packed codes, block absmax codes, their scales; int8: codes,
	// block absmax.
	parts  []*mlmodel.Variable
	offset float32 // nf4's double-quantization offset
}

// quantizes reports whether base weight spec is kept quantized: the
// decoder projections' matrices, never embeddings, norms, biases or the
// LM head, which QLoRA keeps in 16 bits too.
func (m *Model) quantizes(spec weightSpec) bool {
	return m.quant != QuantNone && !spec.norm && !spec.bias && strings.HasSuffix(spec.name, "_proj.weight")
}

// addQuantized stores vals (weight spec, float32) quantized. vals can be
// dropped by the caller afterwards: nothing keeps it.
func (m *Model) addQuantized(spec weightSpec, vals []float32) error {
	qw := &quantWeight{kind: m.quant, shape: append([]int(nil), spec.shape...)}
	var parts []*tensors.Tensor
	switch m.quant {
	case QuantNF4:
		q, err := quant.QuantizeNF4(vals, spec.shape)
		if err != nil {
			return fmt.Errorf("model: %s: %w", spec.name, err)
		}
		p, a, s, off := q.Tensors()
		parts, qw.offset = []*tensors.Tensor{p, a, s}, off
	case QuantInt8:
		q, err := quant.QuantizeInt8(vals, spec.shape)
		if err != nil {
			return fmt.Errorf("model: %s: %w", spec.name, err)
		}
		c, a := q.Tensors()
		parts = []*tensors.Tensor{c, a}
	default:
		return fmt.Errorf("model: quantization %q is not one of %s, %s, %s", m.quant, QuantNone, QuantNF4, QuantInt8)
	}
	for i, t := range parts {
		v, err := m.store.CreateVariable(fmt.Sprintf("%s/%s/%d", quantScope, spec.name, i), t)
		if err != nil {
			return fmt.Errorf("model: variable %s: %w", spec.name, err)
		}
		v.SetTrainable(false)
		qw.parts = append(qw.parts, v)
	}
	m.qbase[spec.name] = qw
	return nil
}

// bytes is the memory of the stored parts, measured on the variables'
// tensors (plus nf4's float32 offset).
func (qw *quantWeight) bytes() int64 {
	var n int64
	for _, v := range qw.parts {
		n += int64(v.Shape().Memory())
	}
	if qw.kind == QuantNF4 {
		n += 4
	}
	return n
}

// node dequantizes the weight in graph g, as float32, after the node
// after has been computed (see quant.DequantizeNF4GraphAfter; nil for
// no order).
func (qw *quantWeight) node(g *Graph, after *Node) *Node {
	var tie *Node
	if after != nil {
		tie = quant.Zero(after)
	}
	switch qw.kind {
	case QuantNF4:
		return quant.DequantizeNF4GraphAfter(qw.parts[0].NodeValue(g), qw.parts[1].NodeValue(g), qw.parts[2].NodeValue(g),
			Scalar(g, dtypes.Float32, qw.offset), tie, qw.shape, dtypes.Float32)
	default:
		return quant.DequantizeInt8GraphAfter(qw.parts[0].NodeValue(g), qw.parts[1].NodeValue(g), tie, qw.shape, dtypes.Float32)
	}
}

// dense is dense(x, W) of the dequantized weight W, with x's gradient
// v·W computed from W dequantized again in the backward pass, and each
// dequantization tied to the activation it multiplies (x, then v).
// Autodiff would keep the forward's float32 W until the backward pass
// needs it, and the go backend runs a dequantization, which reads only
// variables, as soon as it can: either way every projection's float copy
// is alive at a step's peak (measured on the go backend, 8 layers of
// 45M parameters: the NF4 model peaked at 945 MB, the float32 one at
// 572 MB). Dequantizing twice costs a little compute and keeps about one
// projection's float copy at a time.
func (qw *quantWeight) dense(x *Node) *Node {
	g := x.Graph()
	return withGradient([]*Node{x}, func(in []*Node) *Node {
		return dense(in[0], qw.node(g, in[0]))
	}, func(v *Node) []*Node {
		return []*Node{DotGeneral(v, []int{v.Rank() - 1}, nil, qw.node(g, v), []int{0}, nil)}
	})
}

// float32 dequantizes the weight on the host.
func (qw *quantWeight) float32() ([]float32, error) {
	var vals [][]byte
	var scales [][]float32
	for _, v := range qw.parts {
		t, err := v.Value()
		if err != nil {
			return nil, err
		}
		switch t.DType() {
		case dtypes.Uint8:
			b, err := tensors.CopyFlatData[uint8](t)
			if err != nil {
				return nil, err
			}
			vals = append(vals, b)
		default:
			f, err := tensors.CopyFlatData[float32](t)
			if err != nil {
				return nil, err
			}
			scales = append(scales, f)
		}
	}
	n := 1
	for _, d := range qw.shape {
		n *= d
	}
	switch qw.kind {
	case QuantNF4:
		q := &quant.NF4{Shape: qw.shape, N: n, Packed: vals[0], Absmax: vals[1], AbsmaxScale: scales[0], Offset: qw.offset}
		return q.Dequantize(), nil
	default:
		q := &quant.Int8{Shape: qw.shape, Codes: vals[0], Absmax: scales[0]}
		return q.Dequantize(), nil
	}
}

// Quantization returns how the frozen projections are stored: QuantNone,
// QuantNF4 or QuantInt8.
func (m *Model) Quantization() string { return m.quant }

// ProjectionBytes is the memory the decoder projections' frozen weights
// take as stored: the quantized parts' bytes when quantized, else the
// tensors' bytes in the storage dtype.
func (m *Model) ProjectionBytes() int64 {
	var total int64
	for _, spec := range baseWeightShapes(m.cfg) {
		if spec.norm || spec.bias || !strings.HasSuffix(spec.name, "_proj.weight") {
			continue
		}
		if qw, ok := m.qbase[spec.name]; ok {
			total += qw.bytes()
			continue
		}
		if v, ok := m.base[spec.name]; ok {
			total += int64(v.Shape().Memory())
		}
	}
	return total
}

// normalizeQuantization maps "" to QuantNone and refuses unknown names.
func normalizeQuantization(q string) (string, error) {
	switch q {
	case "", QuantNone:
		return QuantNone, nil
	case QuantNF4, QuantInt8:
		return q, nil
	}
	return "", fmt.Errorf("model: quantization %q is not one of %s, %s, %s", q, QuantNone, QuantNF4, QuantInt8)
}
