// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

// TestConvertDTypeOfBarrier converts a SchedulingBarrier's output (a
// stored BFloat16 weight held back until an activation is ready) and wants
// the conversion to read the weight itself, after the activation, so that
// the barrier (which would copy the weight) is left unused; and the
// converted values.
func TestConvertDTypeOfBarrier(t *testing.T) {
	builder := backend.Builder("convert-barrier").(*gobackend.Builder)
	main := builder.Main().(*gobackend.Function)
	w, err := main.Parameter("w", shapes.Make(dtypes.BFloat16, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := main.Parameter("x", shapes.Make(dtypes.Float32, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	held, err := ops.SchedulingBarrier(main, w, x)
	if err != nil {
		t.Fatal(err)
	}
	wide, err := ops.ConvertDType(main, held, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	node := wide.(*gobackend.Node)
	if node.OpType != compute.OpTypeConvertDType || len(node.Inputs) != 2 ||
		node.Inputs[0] != w.(*gobackend.Node) || node.Inputs[1] != x.(*gobackend.Node) {
		t.Fatalf("the conversion's inputs are %v, want the weight and then the activation", node.Inputs)
	}
	sum, err := ops.Add(main, wide, x)
	if err != nil {
		t.Fatal(err)
	}
	if err := main.Return([]compute.Value{sum}, nil); err != nil {
		t.Fatal(err)
	}
	exec, err := builder.Compile()
	if err != nil {
		t.Fatal(err)
	}
	wb, err := backend.BufferFromFlatData(0, []bfloat16.BFloat16{bfloat16.FromFloat32(1.5), bfloat16.FromFloat32(-2), bfloat16.FromFloat32(0.25)}, shapes.Make(dtypes.BFloat16, 3))
	if err != nil {
		t.Fatal(err)
	}
	xb, err := backend.BufferFromFlatData(0, []float32{10, 20, 30}, shapes.Make(dtypes.Float32, 3))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Execute([]compute.Buffer{wb, xb}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].(*gobackend.Buffer).Flat.([]float32)
	for i, want := range []float32{11.5, 18, 30.25} {
		if got[i] != want {
			t.Fatalf("got %v, want [11.5 18 30.25]", got)
		}
	}
	// The weight is the caller's: still there, unchanged.
	if v := wb.(*gobackend.Buffer).Flat.([]bfloat16.BFloat16); v[1].Float32() != -2 {
		t.Fatalf("the weight changed: %v", v)
	}
}
