// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package dot

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/support/envutil"
)

// Matrix-vector products ("GEMV").
//
// Decoding a language model multiplies one (or a few) activation rows by
// every weight matrix: the weights are read once and used once. The GEMM
// kernels pack the whole weight into panels first (for the large variant),
// or fall back to scalar code when the output has a single column (small
// variant), and half-precision weights stored as BFloat16 but converted to
// Float32 in the graph are converted whole on every call. A GEMV kernel
// instead streams each weight row once, dotting it with the few vectors kept
// in cache, and can widen BFloat16 weights in registers.
//
// DotGeneral takes this path when, in LayoutTransposed (both operands with
// the contracting axis last), one side has at most GemvMaxRows rows and a
// GEMV kernel is registered for the other side's dtype. When the matrix side
// is a ConvertDType(BFloat16 or Int8 -> Float32) node, the kernel reads the
// narrow source directly (the conversion node is then left unused, and not executed,
// unless something else uses it).
//
// Set GOMLX_GO_DOT_GEMV=false to disable it.

// GemvMaxRows is the largest number of rows of the "vector" side for which
// DotGeneral uses a GEMV kernel.
const GemvMaxRows = 4

// gemvMinMatrixSize is the smallest matrix (in elements) worth the GEMV path:
// below it the small GEMM kernels are as good.
const gemvMinMatrixSize = 1024

// GemvEnabled can be set to false (or GOMLX_GO_DOT_GEMV=false) to disable the GEMV path.
var GemvEnabled = envutil.MustReadBool("GOMLX_GO_DOT_GEMV", true)

// GemvFn computes, for n in [0, rows) and m in [0, numVectors):
//
//	output[n*outStrideN + m*outStrideM] = Σ_k matrix[n*contractingSize+k] · vectors[m*contractingSize+k]
//
// matrix is a []float32, []bfloat16.BFloat16 or []int8 (the dtype it was
// registered for); vectors and output are Float32.
type GemvFn func(backend *gobackend.Backend, matrix any, vectors []float32,
	rows, numVectors, contractingSize int, output []float32, outStrideN, outStrideM int)

type gemvRegistration struct {
	fn       GemvFn
	priority gobackend.RegisterPriority
}

var gemvImplementations = make(map[dtypes.DType]gemvRegistration)

// RegisterGemv registers a GEMV kernel for matrices of the given dtype
// (Float32 vectors and output). Only call during initialization.
func RegisterGemv(matrixDType dtypes.DType, fn GemvFn, priority gobackend.RegisterPriority) {
	if current, found := gemvImplementations[matrixDType]; found && priority < current.priority {
		return
	}
	gemvImplementations[matrixDType] = gemvRegistration{fn: fn, priority: priority}
}

// GemvPlan is set on NodeData when DotGeneral runs as a matrix-vector product.
type GemvPlan struct {
	// MatrixIsLHS tells which input is the matrix (the other holds the vectors).
	MatrixIsLHS bool
	// MatrixDType is the dtype of the matrix input: Float32, or BFloat16 or
	// Int8 when a ConvertDType was fused.
	MatrixDType dtypes.DType
	fn          GemvFn
}

func (p *GemvPlan) equal(o *GemvPlan) bool {
	if p == nil || o == nil {
		return p == o
	}
	return p.MatrixIsLHS == o.MatrixIsLHS && p.MatrixDType == o.MatrixDType
}

// planGemv decides whether the normalized DotGeneral (lhs, rhs with params'
// sizes set) runs as a GEMV. It returns the inputs to use (the matrix side
// may be replaced by the BFloat16 source of a ConvertDType) and the plan, or
// a nil plan.
func planGemv(lhs, rhs *gobackend.Node, params *NodeData) (newLHS, newRHS *gobackend.Node, plan *GemvPlan) {
	if !GemvEnabled || params.Layout != LayoutTransposed ||
		params.InputDType != dtypes.Float32 || params.OutputDType != dtypes.Float32 {
		return lhs, rhs, nil
	}
	if params.BatchSize <= 0 || params.LHSCrossSize <= 0 || params.RHSCrossSize <= 0 || params.ContractingSize <= 0 {
		return lhs, rhs, nil // Dynamic shapes.
	}
	var matrix *gobackend.Node
	var matrixRows int
	switch {
	case params.RHSCrossSize <= GemvMaxRows && params.LHSCrossSize > GemvMaxRows:
		plan = &GemvPlan{MatrixIsLHS: true}
		matrix, matrixRows = lhs, params.LHSCrossSize
	case params.LHSCrossSize <= GemvMaxRows && params.RHSCrossSize > GemvMaxRows:
		plan = &GemvPlan{MatrixIsLHS: false}
		matrix, matrixRows = rhs, params.RHSCrossSize
	default:
		return lhs, rhs, nil
	}
	if matrixRows*params.ContractingSize < gemvMinMatrixSize {
		return lhs, rhs, nil
	}
	plan.MatrixDType = dtypes.Float32
	if matrix.OpType == compute.OpTypeConvertDType && len(matrix.Inputs) == 1 {
		src := matrix.Inputs[0].Shape.DType
		if reg, ok := gemvImplementations[src]; ok && (src == dtypes.BFloat16 || src == dtypes.Int8) {
			matrix = matrix.Inputs[0]
			plan.MatrixDType = src
			plan.fn = reg.fn
		}
	}
	if plan.fn == nil {
		reg, ok := gemvImplementations[dtypes.Float32]
		if !ok {
			return lhs, rhs, nil
		}
		plan.fn = reg.fn
	}
	if plan.MatrixIsLHS {
		return matrix, rhs, plan
	}
	return lhs, matrix, plan
}

// execGemv runs a DotGeneral planned as GEMV, batch by batch.
func execGemv(backend *gobackend.Backend, params *NodeData, lhs, rhs, output *gobackend.Buffer) {
	plan := params.Gemv
	batch, k := params.BatchSize, params.ContractingSize
	lhsCross, rhsCross := params.LHSCrossSize, params.RHSCrossSize
	out := output.Flat.([]float32)
	matrixBuf, vectorBuf := lhs, rhs
	rows, numVectors := lhsCross, rhsCross
	strideN, strideM := rhsCross, 1
	if !plan.MatrixIsLHS {
		matrixBuf, vectorBuf = rhs, lhs
		rows, numVectors = rhsCross, lhsCross
		strideN, strideM = 1, rhsCross
	}
	vectors := vectorBuf.Flat.([]float32)
	matrixSize, vectorSize, outSize := rows*k, numVectors*k, lhsCross*rhsCross
	for b := range batch {
		matrix := sliceFlat(matrixBuf.Flat, b*matrixSize, (b+1)*matrixSize)
		plan.fn(backend, matrix, vectors[b*vectorSize:(b+1)*vectorSize], rows, numVectors, k,
			out[b*outSize:(b+1)*outSize], strideN, strideM)
	}
}

// sliceFlat slices a flat buffer of one of the GEMV matrix dtypes.
func sliceFlat(flat any, from, to int) any {
	switch f := flat.(type) {
	case []float32:
		return f[from:to]
	case []bfloat16.BFloat16:
		return f[from:to]
	case []int8:
		return f[from:to]
	}
	return flat
}

// GemvImplementation returns the GEMV kernel registered for matrices of the
// given dtype, or nil.
func GemvImplementation(matrixDType dtypes.DType) GemvFn {
	return gemvImplementations[matrixDType].fn
}
