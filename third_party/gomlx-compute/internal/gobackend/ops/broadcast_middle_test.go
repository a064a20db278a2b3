// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops_test

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

// TestBroadcastMiddle runs binary ops whose one operand has 1s on a run of
// middle axes ([2, 3, 4, 5] against [2, 3, 1, 5] and [2, 1, 1, 5], on
// either side) and wants the element-by-element result: Float32 takes the
// vector loops' BroadcastMiddleRHS/LHS path, Int64 the iterator.
func TestBroadcastMiddle(t *testing.T) {
	full := []int{2, 3, 4, 5}
	for _, narrow := range [][]int{{2, 3, 1, 5}, {2, 1, 1, 5}} {
		cfg := gobackend.DetermineBroadcastConfig(shapes.Make(dtypes.Float32, full...), shapes.Make(dtypes.Float32, narrow...), shapes.Make(dtypes.Float32, full...))
		if cfg.Pattern != gobackend.BroadcastMiddleRHS || cfg.A*cfg.M*cfg.B != 120 || cfg.ZipIter == nil {
			t.Fatalf("%v against %v: %+v, want BroadcastMiddleRHS", full, narrow, cfg)
		}
		cfg = gobackend.DetermineBroadcastConfig(shapes.Make(dtypes.Float32, narrow...), shapes.Make(dtypes.Float32, full...), shapes.Make(dtypes.Float32, full...))
		if cfg.Pattern != gobackend.BroadcastMiddleLHS {
			t.Fatalf("%v against %v: %+v, want BroadcastMiddleLHS", narrow, full, cfg)
		}
		for _, op := range []struct {
			name string
			fn   func(f *gobackend.Function, lhs, rhs compute.Value) (compute.Value, error)
			f    func(a, b float64) float64
		}{
			{"Add", ops.Add, func(a, b float64) float64 { return a + b }},
			{"Sub", ops.Sub, func(a, b float64) float64 { return a - b }},
			{"Mul", ops.Mul, func(a, b float64) float64 { return a * b }},
			{"Div", ops.Div, func(a, b float64) float64 { return a / b }},
		} {
			for _, narrowLeft := range []bool{false, true} {
				name := fmt.Sprintf("%s/%v/narrowLeft=%v", op.name, narrow, narrowLeft)
				t.Run(name+"/Float32", func(t *testing.T) {
					wide, small, want := middleOperands(full, narrow, narrowLeft, op.f, func(v float64) float32 { return float32(v) })
					if narrowLeft {
						runBinaryTestGeneric(t, name, op.fn, shapes.Make(dtypes.Float32, narrow...), small, shapes.Make(dtypes.Float32, full...), wide, want)
					} else {
						runBinaryTestGeneric(t, name, op.fn, shapes.Make(dtypes.Float32, full...), wide, shapes.Make(dtypes.Float32, narrow...), small, want)
					}
				})
				if op.name == "Div" {
					continue
				}
				t.Run(name+"/Int64", func(t *testing.T) {
					wide, small, want := middleOperands(full, narrow, narrowLeft, op.f, func(v float64) int64 { return int64(v) })
					if narrowLeft {
						runBinaryTestGeneric(t, name, op.fn, shapes.Make(dtypes.Int64, narrow...), small, shapes.Make(dtypes.Int64, full...), wide, want)
					} else {
						runBinaryTestGeneric(t, name, op.fn, shapes.Make(dtypes.Int64, full...), wide, shapes.Make(dtypes.Int64, narrow...), small, want)
					}
				})
			}
		}
	}
}

// middleOperands returns a full-shaped operand, a narrow one, and the
// expected op(lhs, rhs) with the narrow one on the left when narrowLeft.
func middleOperands[T any](full, narrow []int, narrowLeft bool, op func(a, b float64) float64, cast func(float64) T) (wide, small, want []T) {
	size := 1
	for _, d := range full {
		size *= d
	}
	nsize := 1
	for _, d := range narrow {
		nsize *= d
	}
	wide, small, want = make([]T, size), make([]T, nsize), make([]T, size)
	for i := range small {
		small[i] = cast(float64(i%7 + 1))
	}
	idx := make([]int, len(full))
	for i := range wide {
		w := float64(i%11 + 2)
		wide[i] = cast(w)
		// The narrow operand's flat index: the same position with the
		// broadcast axes at 0.
		n := 0
		for axis, d := range narrow {
			at := idx[axis]
			if d == 1 {
				at = 0
			}
			n = n*d + at
		}
		s := float64(n%7 + 1)
		if narrowLeft {
			want[i] = cast(op(s, w))
		} else {
			want[i] = cast(op(w, s))
		}
		for axis := len(full) - 1; axis >= 0; axis-- {
			idx[axis]++
			if idx[axis] < full[axis] {
				break
			}
			idx[axis] = 0
		}
	}
	return wide, small, want
}
