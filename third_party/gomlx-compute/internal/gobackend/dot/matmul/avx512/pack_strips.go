// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512

import (
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend/dot/matmul"
)

// transpose16Float32Asm transposes 16 rows of 16*blocks float32, rows
// srcStrideBytes apart, into 16*blocks rows of 16 float32 at dst, rows
// 128 bytes apart (one half of a 32-wide packed strip). Defined in
// pack_strips_amd64.s.
//
//go:noescape
func transpose16Float32Asm(src unsafe.Pointer, srcStrideBytes uintptr, dst unsafe.Pointer, blocks int)

// packStrips32Float32 is matmul.UnsafePackLHS with kernelRows 32 for
// Float32: rows [rowStart, rowStart+copyRows) of a row-major matrix of
// rowLen columns, columns [colStart, colStart+cols), packed into strips of
// 32 rows stored column by column (panel[strip][col][32]).
//
// This is how the packed kernel packs a LayoutTransposed RHS (a weight
// stored [out, in], as language models keep them), with one strip per 32
// output columns. The generic loop writes each element to its own cache
// line, 128 bytes after the previous one, at about 0.7 elements a cycle;
// it took 15 % of a 256-token prefill's CPU and 3 % of a training step's
// (Gemma 3 270M). Here each 16x16 block is transposed in registers.
func packStrips32Float32(src, panel []float32, rowStart, colStart, rowLen, copyRows, cols int) {
	const stripRows = 32
	full := copyRows / stripRows * stripRows
	blocks := cols / 16
	if full > 0 {
		// The last element the assembly reads, and the last it writes.
		_ = src[(rowStart+full-1)*rowLen+colStart+cols-1]
		_ = panel[full*cols-1]
	}
	for s := 0; s < full; s += stripRows {
		strip := panel[s*cols : (s+stripRows)*cols]
		if blocks > 0 {
			for h := 0; h < stripRows; h += 16 {
				first := (rowStart+s+h)*rowLen + colStart
				transpose16Float32Asm(unsafe.Pointer(&src[first]), uintptr(rowLen)*4, unsafe.Pointer(&strip[h]), blocks)
			}
		}
		for c := blocks * 16; c < cols; c++ {
			for r := range stripRows {
				strip[c*stripRows+r] = src[(rowStart+s+r)*rowLen+colStart+c]
			}
		}
	}
	if full < copyRows {
		matmul.UnsafePackLHS(src, panel[full*cols:], rowStart+full, colStart, rowLen, copyRows-full, cols, stripRows)
	}
}
