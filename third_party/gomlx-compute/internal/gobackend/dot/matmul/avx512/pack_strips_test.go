// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot/matmul"
)

// TestAVX512PackStrips32 packs blocks of a matrix into 32-row strips with
// the assembly transpose and with the generic loop, and wants the same
// panel: full strips and a partial one, column counts under, at and past a
// multiple of 16, and blocks that start inside the matrix.
func TestAVX512PackStrips32(t *testing.T) {
	if !gobackend.IsAVX512Allowed || !AVX512UseAsm {
		t.Skip("AVX512 assembly is not in use on this machine")
	}
	const rowLen, totalRows = 420, 200
	src := make([]float32, totalRows*rowLen)
	for i := range src {
		src[i] = float32(i) + 0.5
	}
	for _, rows := range []int{1, 31, 32, 33, 64, 100, 160} {
		for _, cols := range []int{1, 15, 16, 17, 64, 192, 200} {
			for _, at := range [][2]int{{0, 0}, {3, 5}, {37, 211}} {
				rowStart, colStart := at[0], at[1]
				if rowStart+rows > totalRows || colStart+cols > rowLen {
					continue
				}
				t.Run(fmt.Sprintf("rows=%d/cols=%d/at=%d,%d", rows, cols, rowStart, colStart), func(t *testing.T) {
					size := (rows + 31) / 32 * 32 * cols
					want, got := make([]float32, size+8), make([]float32, size+8)
					for i := range got {
						want[i], got[i] = -1, -1
					}
					matmul.UnsafePackLHS(src, want, rowStart, colStart, rowLen, rows, cols, 32)
					packStrips32Float32(src, got, rowStart, colStart, rowLen, rows, cols)
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("panel[%d] = %g, want %g (strip %d, column %d, row %d)", i, got[i], want[i], i/(32*cols), i%(32*cols)/32, i%32)
						}
					}
				})
			}
		}
	}
}

// BenchmarkPackStrips32 packs a Gemma 3 270M gate projection stored [out,
// in] (2,048 x 640, LayoutTransposed) into the RHS panels of the packed
// kernel (192 x 512), with the assembly transpose and with the generic
// loop, reporting GB/s of the weight read.
func BenchmarkPackStrips32(b *testing.B) {
	if !gobackend.IsAVX512Allowed || !AVX512UseAsm {
		b.Skip("AVX512 assembly is not in use on this machine")
	}
	const rows, cols = 2048, 640
	params := AVX512ParamsFloat32
	kc, nc := params.PanelContractingSize, params.RHSPanelCrossSize
	src := make([]float32, rows*cols)
	for i := range src {
		src[i] = float32(i % 251)
	}
	panel := make([]float32, kc*nc)
	for _, asm := range []bool{true, false} {
		b.Run(fmt.Sprintf("asm=%v", asm), func(b *testing.B) {
			for b.Loop() {
				for r := 0; r < rows; r += nc {
					for c := 0; c < cols; c += kc {
						n, k := min(nc, rows-r), min(kc, cols-c)
						if asm {
							packStrips32Float32(src, panel, r, c, cols, n, k)
						} else {
							matmul.UnsafePackLHS(src, panel, r, c, cols, n, k, 32)
						}
					}
				}
			}
			b.ReportMetric(float64(4*rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
