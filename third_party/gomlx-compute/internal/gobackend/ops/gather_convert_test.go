package ops_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/support/testutil"
)

// TestGatherFromConvertDType checks that gathering rows of a converted table
// (a BFloat16 embedding table used as Float32) gathers from the BFloat16
// table and converts only the rows, with the same values.
func TestGatherFromConvertDType(t *testing.T) {
	const vocab, dim = 50, 6
	table := make([]bfloat16.BFloat16, vocab*dim)
	for i := range table {
		table[i] = bfloat16.FromFloat32(float32(i)*0.37 - 20)
	}
	indices := []int32{7, 0, 49, 7}
	var top *gobackend.Node
	got, err := testutil.Exec1(backend, []any{table, indices}, func(f compute.Function, p []compute.Value) (compute.Value, error) {
		tbl, err := f.Reshape(p[0], vocab, dim)
		if err != nil {
			return nil, err
		}
		conv, err := f.ConvertDType(tbl, dtypes.Float32)
		if err != nil {
			return nil, err
		}
		idx, err := f.Reshape(p[1], len(indices), 1)
		if err != nil {
			return nil, err
		}
		out, err := f.Gather(conv, idx, 1, []int{1}, []int{0}, []int{0}, []int{1, dim}, false)
		if err != nil {
			return nil, err
		}
		top = out.(*gobackend.Node)
		return f.Reshape(out, len(indices)*dim)
	})
	if err != nil {
		t.Fatal(err)
	}
	if top.OpType != compute.OpTypeConvertDType || top.Inputs[0].OpType != compute.OpTypeGather {
		t.Fatalf("gather from a converted table built %s(%s), want ConvertDType(Gather)", top.OpType, top.Inputs[0].OpType)
	}
	out := got.([]float32)
	for i, row := range indices {
		for j := range dim {
			if want := table[int(row)*dim+j].Float32(); out[i*dim+j] != want {
				t.Fatalf("row %d (index %d) column %d: got %g, want %g", i, row, j, out[i*dim+j], want)
			}
		}
	}
}
