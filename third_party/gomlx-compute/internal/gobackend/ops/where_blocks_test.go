package ops_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/support/testutil"
)

// TestWhereTrailingBlocks checks a Where whose condition picks whole
// trailing blocks ([2,3,1,1] over [2,3,4,5] branches, the KV-cache row
// update's shape) element by element against the condition.
func TestWhereTrailingBlocks(t *testing.T) {
	cond := []bool{true, false, false, true, true, false}
	a, b := make([]float32, 120), make([]float32, 120)
	for i := range a {
		a[i], b[i] = float32(i), -float32(i)
	}
	got, err := testutil.Exec1(backend, []any{cond, a, b}, func(f compute.Function, p []compute.Value) (compute.Value, error) {
		c, err := f.Reshape(p[0], 2, 3, 1, 1)
		if err != nil {
			return nil, err
		}
		x, err := f.Reshape(p[1], 2, 3, 4, 5)
		if err != nil {
			return nil, err
		}
		y, err := f.Reshape(p[2], 2, 3, 4, 5)
		if err != nil {
			return nil, err
		}
		w, err := f.Where(c, x, y)
		if err != nil {
			return nil, err
		}
		return f.Reshape(w, 120)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := got.([]float32)
	for i, v := range out {
		want := b[i]
		if cond[i/20] {
			want = a[i]
		}
		if v != want {
			t.Fatalf("element %d: got %g, want %g", i, v, want)
		}
	}
}
