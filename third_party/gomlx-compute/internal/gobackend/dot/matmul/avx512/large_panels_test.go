// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot/matmul"
	"github.com/gomlx/compute/support/testutil"
)

// TestLargeBalancedRHSPanels checks the packed kernel against a float64
// reference at output widths whose RHS panels are widened or narrowed by
// matmul.WithBalancedRHSPanels (640 and 767: one panel wider than Nc; 1152:
// two of 576; 1600: three of 544), in both layouts, with K over two
// contracting panels, balanced and as tuned.
func TestLargeBalancedRHSPanels(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("AVX512 is not supported on this architecture")
	}
	defer func(was, balanced bool) {
		matmul.ForceLargeVariant, matmul.BalancedRHSPanelsEnabled = was, balanced
	}(matmul.ForceLargeVariant, matmul.BalancedRHSPanelsEnabled)
	matmul.ForceLargeVariant = true
	backend := compute.MustNew()
	defer backend.Finalize()
	rng := rand.New(rand.NewPCG(3, 4))
	const m, k = 72, 400
	for _, n := range []int{640, 767, 1152, 1600} {
		for _, transposed := range []bool{true, false} {
			for _, balanced := range []bool{true, false} {
				t.Run(fmt.Sprintf("n%d_transposed=%v_balanced=%v", n, transposed, balanced), func(t *testing.T) {
					matmul.BalancedRHSPanelsEnabled = balanced
					lhs, rhs := make([]float32, m*k), make([]float32, k*n)
					for i := range lhs {
						lhs[i] = float32(rng.NormFloat64())
					}
					for i := range rhs {
						rhs[i] = float32(rng.NormFloat64())
					}
					got, err := testutil.Exec1(backend, []any{lhs, rhs}, func(f compute.Function, p []compute.Value) (compute.Value, error) {
						a, err := f.Reshape(p[0], m, k)
						if err != nil {
							return nil, err
						}
						// Transposed: rhs is [n, k], the contracting axis last on
						// both sides.
						rhsDims, rhsContracting := []int{k, n}, 0
						if transposed {
							rhsDims, rhsContracting = []int{n, k}, 1
						}
						b, err := f.Reshape(p[1], rhsDims...)
						if err != nil {
							return nil, err
						}
						out, err := f.DotGeneral(a, []int{1}, nil, b, []int{rhsContracting}, nil, compute.DotGeneralConfig{})
						if err != nil {
							return nil, err
						}
						return f.Reshape(out, m*n)
					})
					if err != nil {
						t.Fatal(err)
					}
					out := got.([]float32)
					for r := range m {
						for c := range n {
							var want float64
							for i := range k {
								w := rhs[i*n+c]
								if transposed {
									w = rhs[c*k+i]
								}
								want += float64(lhs[r*k+i]) * float64(w)
							}
							if d := math.Abs(float64(out[r*n+c]) - want); d > 1e-4*math.Sqrt(k) {
								t.Fatalf("[%d, %d]: got %g, want %g", r, c, out[r*n+c], want)
							}
						}
					}
				})
			}
		}
	}
}
