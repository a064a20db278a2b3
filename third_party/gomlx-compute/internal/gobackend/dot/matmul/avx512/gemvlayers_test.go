//go:build amd64 && goexperiment.simd

package avx512_test

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
)

func BenchmarkGemvLayers(b *testing.B) {
	backend, err := gobackend.NewBackend()
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Finalize()
	fn := dot.GemvImplementation(dtypes.BFloat16)
	for _, sh := range [][2]int{{256, 640}, {1024, 640}, {640, 1024}, {2048, 640}, {640, 2048}} {
		rows, k := sh[0], sh[1]
		// Enough distinct matrices to leave the caches, as a decode does.
		const copies = 64
		mats := make([][]bfloat16.BFloat16, copies)
		for c := range mats {
			mats[c] = make([]bfloat16.BFloat16, rows*k)
			for i := range mats[c] {
				mats[c][i] = bfloat16.FromFloat32(float32(i%13) * 0.01)
			}
		}
		vec := make([]float32, k)
		out := make([]float32, rows)
		b.Run(fmt.Sprintf("%dx%d", rows, k), func(b *testing.B) {
			b.SetBytes(int64(2 * rows * k))
			i := 0
			for b.Loop() {
				fn(backend, mats[i%copies], vec, rows, 1, k, out, 1, 1)
				i++
			}
		})
	}
}
