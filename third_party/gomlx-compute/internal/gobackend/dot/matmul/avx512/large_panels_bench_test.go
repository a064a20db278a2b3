// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/internal/gobackend/dot/matmul"
)

// BenchmarkLargeRHSPanels runs the packed Float32 kernel on a language
// model's product shapes (M×K×N) with RHS panels fitted to N
// (matmul.WithBalancedRHSPanels) and as tuned, reporting GFLOP/s:
// products into a 640- or 1,152-wide hidden state, and for scale one out
// of it (the LM head's logits, one vocabulary slice) and 2048³.
func BenchmarkLargeRHSPanels(b *testing.B) {
	if !gobackend.IsAVX512Allowed {
		b.Skip("AVX512 is not supported on this architecture")
	}
	backend, err := gobackend.NewBackend()
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Finalize()
	defer func(was bool) { matmul.BalancedRHSPanelsEnabled = was }(matmul.BalancedRHSPanelsEnabled)
	for _, s := range [][3]int{{2048, 2048, 640}, {2048, 8192, 640}, {4096, 6912, 1152}, {2048, 640, 8192}, {2048, 2048, 2048}} {
		m, k, n := s[0], s[1], s[2]
		lhs, rhs, out := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range lhs {
			lhs[i] = float32(i%17) * 0.01
		}
		for i := range rhs {
			rhs[i] = float32(i%13) * 0.01
		}
		for _, balanced := range []bool{true, false} {
			b.Run(fmt.Sprintf("%dx%dx%d/balanced=%v", m, k, n, balanced), func(b *testing.B) {
				matmul.BalancedRHSPanelsEnabled = balanced
				for b.Loop() {
					avx512LargeFloat32(backend, dot.LayoutNonTransposed, lhs, rhs, 1, m, n, k, out, nil)
				}
				b.ReportMetric(2*float64(m)*float64(k)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
