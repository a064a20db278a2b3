package model

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// geluTanh's value and written-out gradient against PyTorch's
// gelu(approximate="tanh") and its derivative in float64, over the range
// where the cubic term matters.
func TestGeluTanhValueAndGradient(t *testing.T) {
	b, _, err := accel.Open(accel.Options{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]float32, 241)
	for i := range xs {
		xs[i] = float32(-6 + 0.05*float64(i))
	}
	out, err := ExecOnceN(b, func(x *Node) []*Node {
		y := geluTanh(x)
		return []*Node{y, Gradient(ReduceAllSum(y), x)[0]}
	}, xs)
	if err != nil {
		t.Fatal(err)
	}
	ys, dys := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	c := math.Sqrt(2 / math.Pi)
	for i, x32 := range xs {
		x := float64(x32)
		th := math.Tanh(c * (x + 0.044715*x*x*x))
		want := 0.5 * x * (1 + th)
		wantSlope := 0.5*(1+th) + 0.5*x*(1-th*th)*c*(1+3*0.044715*x*x)
		if math.Abs(float64(ys[i])-want) > 1e-5*max(1, math.Abs(want)) {
			t.Errorf("gelu(%g) = %g, want %g", x, ys[i], want)
		}
		if math.Abs(float64(dys[i])-wantSlope) > 1e-5 {
			t.Errorf("gelu'(%g) = %g, want %g", x, dys[i], wantSlope)
		}
	}
}
