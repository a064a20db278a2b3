// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package dot_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	_ "github.com/gomlx/compute/internal/gobackend/defaultpkgs"
	"github.com/gomlx/compute/shapes"
)

// TestVectorGraphs checks which compiled functions count as graphs of
// vector products (run in order by the backend): those whose every
// DotGeneral has a side of at most VectorProductMaxRows rows, and only if
// they have one, run in order unless SequentialVectorGraphs is off; and
// that such a function computes the same product.
func TestVectorGraphs(t *testing.T) {
	backend := compute.MustNew()
	defer backend.Finalize()
	gb := backend.(*gobackend.Backend)
	if gb.OpsExecutionType != gobackend.OpsExecutionDynamic {
		t.Skipf("the backend's ops execution is fixed (%v)", gb.OpsExecutionType)
	}
	// product builds a closure multiplying [m, k] by [k, n] for each
	// shape, summing the results when there are several.
	product := func(t *testing.T, dims ...[3]int) *gobackend.FunctionExecutable {
		t.Helper()
		fn, err := backend.Builder(t.Name()).Main().Closure()
		if err != nil {
			t.Fatal(err)
		}
		var outs []compute.Value
		for i, d := range dims {
			a, err := fn.Parameter("a"+string(rune('0'+i)), shapes.Make(dtypes.Float32, d[0], d[1]), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := fn.Parameter("b"+string(rune('0'+i)), shapes.Make(dtypes.Float32, d[1], d[2]), nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := fn.DotGeneral(a, []int{1}, nil, b, []int{0}, nil, compute.DotGeneralConfig{})
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, out)
		}
		if len(dims) == 0 {
			x, err := fn.Parameter("x", shapes.Make(dtypes.Float32, 8), nil)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := fn.Add(x, x)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, sum)
		}
		if err := fn.Return(outs, nil); err != nil {
			t.Fatal(err)
		}
		return fn.(*gobackend.Function).Compiled
	}
	for _, tc := range []struct {
		name string
		dims [][3]int
		want bool
	}{
		{"one vector", [][3]int{{1, 640, 2048}}, true},
		{"sixteen rows", [][3]int{{16, 64, 300}}, true},
		{"thin right side", [][3]int{{300, 64, 4}}, true},
		{"all thin", [][3]int{{1, 640, 2048}, {4, 2048, 8}}, true},
		{"seventeen rows", [][3]int{{17, 64, 300}}, false},
		{"one large product among thin ones", [][3]int{{1, 640, 2048}, {64, 64, 64}}, false},
		{"no product", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe := product(t, tc.dims...)
			if got := fe.VectorGraph(); got != tc.want {
				t.Errorf("VectorGraph() = %v, want %v", got, tc.want)
			}
			want := gobackend.OpsExecutionParallel
			if tc.want {
				want = gobackend.OpsExecutionSequential
			}
			if got := fe.ExecutionMode(gb); got != want {
				t.Errorf("ExecutionMode() = %v, want %v", got, want)
			}
			gobackend.SequentialVectorGraphs = false
			defer func() { gobackend.SequentialVectorGraphs = true }()
			if got := fe.ExecutionMode(gb); got != gobackend.OpsExecutionParallel {
				t.Errorf("with SequentialVectorGraphs off, ExecutionMode() = %v, want parallel", got)
			}
		})
	}

	t.Run("a vector graph computes the product", func(t *testing.T) {
		const m, k, n = 2, 96, 70
		fe := product(t, [3]int{m, k, n})
		lhs, rhs := make([]float32, m*k), make([]float32, k*n)
		for i := range lhs {
			lhs[i] = float32(i%11) - 5
		}
		for i := range rhs {
			rhs[i] = float32(i%7) - 3
		}
		bufs := make([]*gobackend.Buffer, 2)
		for i, data := range []struct {
			flat       []float32
			rows, cols int
		}{{lhs, m, k}, {rhs, k, n}} {
			b, err := backend.BufferFromFlatData(0, data.flat, shapes.Make(dtypes.Float32, data.rows, data.cols))
			if err != nil {
				t.Fatal(err)
			}
			bufs[i] = b.(*gobackend.Buffer)
		}
		outs, err := fe.Execute(gb, bufs, nil, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := outs[0].Flat.([]float32)
		for r := range m {
			for c := range n {
				var want float32
				for i := range k {
					want += lhs[r*k+i] * rhs[i*n+c]
				}
				if got[r*n+c] != want {
					t.Fatalf("[%d, %d] = %g, want %g", r, c, got[r*n+c], want)
				}
			}
		}
	})
}
