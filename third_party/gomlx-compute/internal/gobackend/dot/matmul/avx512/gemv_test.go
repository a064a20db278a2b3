// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
	_ "github.com/gomlx/compute/internal/gobackend/defaultpkgs"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/internal/gobackend/dot/matmul/avx512"
	"github.com/gomlx/compute/support/testutil"
)

// TestGemv checks DotGeneral's matrix-vector path against a float64
// reference: the matrix on either side, 1 to GemvMaxRows vectors, rows and
// contracting sizes with remainders, Float32 matrices and BFloat16 and Int8
// ones under a ConvertDType (read directly by the kernel), with and without
// a batch axis. One vector takes the assembly kernels over each row's first
// multiple of 64 elements, the Go code the rest of the row (or all of it when
// k < 64) and several vectors.
func TestGemv(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("AVX512 is not supported on this architecture")
	}
	backend := compute.MustNew()
	defer backend.Finalize()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ batch, rows, k int }{
		{1, 67, 640}, {1, 4096, 64}, {1, 301, 33}, {2, 130, 48}, {1, 16, 1024},
		{1, 67, 200}, {2, 9, 1152}, {1, 5, 6912}, {1, 11, 96},
		// Several takes of rows per worker (gemvTakeBytes), the last one short.
		{1, 70001, 64},
		// Rows shorter than a register: a LoRA up-projection (rank 8).
		{1, 2048, 8}, {2, 400, 3}, {1, 600, 15},
	} {
		for vectors := 1; vectors <= dot.GemvMaxRows; vectors++ {
			for _, src := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16, dtypes.Int8} {
				for _, matrixFirst := range []bool{true, false} {
					name := fmt.Sprintf("b%d_rows%d_k%d_v%d_%s_matrixFirst=%v", tc.batch, tc.rows, tc.k, vectors, src, matrixFirst)
					t.Run(name, func(t *testing.T) {
						checkGemv(t, backend, rng, tc.batch, tc.rows, tc.k, vectors, src, matrixFirst)
					})
				}
			}
		}
	}
}

func checkGemv(t *testing.T, backend compute.Backend, rng *rand.Rand, batch, rows, k, vectors int, src dtypes.DType, matrixFirst bool) {
	mat := make([]float32, batch*rows*k)
	vec := make([]float32, batch*vectors*k)
	for i := range mat {
		mat[i] = float32(rng.NormFloat64())
		switch src {
		case dtypes.BFloat16:
			mat[i] = bfloat16.FromFloat32(mat[i]).Float32()
		case dtypes.Int8:
			mat[i] = float32(rng.IntN(256) - 128)
		}
	}
	for i := range vec {
		vec[i] = float32(rng.NormFloat64())
	}
	var matInput any = mat
	switch src {
	case dtypes.BFloat16:
		b := make([]bfloat16.BFloat16, len(mat))
		for i, v := range mat {
			b[i] = bfloat16.FromFloat32(v)
		}
		matInput = b
	case dtypes.Int8:
		b := make([]int8, len(mat))
		for i, v := range mat {
			b[i] = int8(v)
		}
		matInput = b
	}
	convert := src != dtypes.Float32
	var plan *dot.GemvPlan
	got, err := testutil.Exec1(backend, []any{matInput, vec}, func(f compute.Function, p []compute.Value) (compute.Value, error) {
		m, err := f.Reshape(p[0], batch, rows, k)
		if err != nil {
			return nil, err
		}
		if convert {
			if m, err = f.ConvertDType(m, dtypes.Float32); err != nil {
				return nil, err
			}
		}
		v, err := f.Reshape(p[1], batch, vectors, k)
		if err != nil {
			return nil, err
		}
		var out compute.Value
		if matrixFirst {
			out, err = f.DotGeneral(m, []int{2}, []int{0}, v, []int{2}, []int{0}, compute.DotGeneralConfig{})
		} else {
			out, err = f.DotGeneral(v, []int{2}, []int{0}, m, []int{2}, []int{0}, compute.DotGeneralConfig{})
		}
		if err != nil {
			return nil, err
		}
		plan = out.(*gobackend.Node).Data.(*dot.NodeData).Gemv
		return f.Reshape(out, batch*rows*vectors)
	})
	if err != nil {
		t.Fatal(err)
	}
	if plan == nil {
		t.Fatal("DotGeneral did not take the GEMV path")
	}
	if plan.MatrixDType != src {
		t.Fatalf("GEMV matrix dtype %s, want %s (ConvertDType not fused)", plan.MatrixDType, src)
	}
	out := got.([]float32)
	for b := range batch {
		for n := range rows {
			for m := range vectors {
				var want float64
				for i := range k {
					want += float64(mat[(b*rows+n)*k+i]) * float64(vec[(b*vectors+m)*k+i])
				}
				idx := b*rows*vectors + n*vectors + m
				if !matrixFirst {
					idx = b*rows*vectors + m*rows + n
				}
				// Int8 codes are up to 128 times larger than the normal values.
				tol := 1e-4 * math.Sqrt(float64(k))
				if src == dtypes.Int8 {
					tol *= 128
				}
				if d := math.Abs(float64(out[idx]) - want); d > tol {
					t.Fatalf("batch %d row %d vector %d: got %g, want %g", b, n, m, out[idx], want)
				}
			}
		}
	}
}

// BenchmarkGemv measures the GEMV kernels on a Gemma 3 LM head shape
// (262144 x 640, one vector), reporting the matrix bytes read per second,
// with and without software prefetches (gemvPrefetch).
func BenchmarkGemv(b *testing.B) {
	if !gobackend.IsAVX512Allowed {
		b.Skip("AVX512 is not supported on this architecture")
	}
	const rows, k = 262144, 640
	backend, err := gobackend.NewBackend()
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Finalize()
	vec := make([]float32, k)
	out := make([]float32, rows)
	for i := range vec {
		vec[i] = float32(i%7) - 3
	}
	f32 := make([]float32, rows*k)
	for i := range f32 {
		f32[i] = float32(i%13) * 0.01
	}
	bf16 := make([]bfloat16.BFloat16, rows*k)
	for i := range bf16 {
		bf16[i] = bfloat16.FromFloat32(float32(i%13) * 0.01)
	}
	i8 := make([]int8, rows*k)
	for i := range i8 {
		i8[i] = int8(i%251 - 125)
	}
	defer func(pf int) { *avx512.GemvPrefetch = pf }(*avx512.GemvPrefetch)
	for _, m := range []struct {
		name  string
		dtype dtypes.DType
		mat   any
		bytes int
	}{{"Float32", dtypes.Float32, f32, 4 * len(f32)}, {"BFloat16", dtypes.BFloat16, bf16, 2 * len(bf16)}, {"Int8", dtypes.Int8, i8, len(i8)}} {
		for _, pf := range []int{0, 1024} {
			b.Run(fmt.Sprintf("%s/prefetch=%d", m.name, pf), func(b *testing.B) {
				*avx512.GemvPrefetch = pf
				fn := dot.GemvImplementation(m.dtype)
				b.SetBytes(int64(m.bytes))
				for b.Loop() {
					fn(backend, m.mat, vec, rows, 1, k, out, 1, 1)
				}
			})
		}
	}
}

// TestGemvPrefetch checks the kernels' copies with and without software
// prefetches, whichever this CPU uses.
func TestGemvPrefetch(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("AVX512 is not supported on this architecture")
	}
	defer func(pf int) { *avx512.GemvPrefetch = pf }(*avx512.GemvPrefetch)
	backend := compute.MustNew()
	defer backend.Finalize()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, pf := range []int{0, 1024} {
		*avx512.GemvPrefetch = pf
		for _, src := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16, dtypes.Int8} {
			t.Run(fmt.Sprintf("prefetch=%d/%s", pf, src), func(t *testing.T) {
				checkGemv(t, backend, rng, 1, 3001, 640, 1, src, true)
				checkGemv(t, backend, rng, 1, 211, 96, 1, src, false)
			})
		}
	}
}

// TestGemvOneWorker runs the kernels without a worker pool over a matrix of
// several takes, which then go one after the other on the caller.
func TestGemvOneWorker(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("AVX512 is not supported on this architecture")
	}
	const rows, k = 70001, 96
	rng := rand.New(rand.NewPCG(3, 4))
	mat := make([]float32, rows*k)
	vec := make([]float32, k)
	for i := range mat {
		mat[i] = float32(rng.NormFloat64())
	}
	for i := range vec {
		vec[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, rows)
	dot.GemvImplementation(dtypes.Float32)(nil, mat, vec, rows, 1, k, out, 1, 1)
	for n := range rows {
		var want float64
		for i := range k {
			want += float64(mat[n*k+i]) * float64(vec[i])
		}
		if d := math.Abs(float64(out[n]) - want); d > 1e-4*math.Sqrt(k) {
			t.Fatalf("row %d: got %g, want %g", n, out[n], want)
		}
	}
}

// TestGemvInt8Extremes runs the Int8 kernel where its Int16 vector codes
// could overflow an Int32 lane (every code -128 against a vector at its
// largest magnitude over a long row), and on vectors it must not quantize
// (zeros, Inf, NaN).
func TestGemvInt8Extremes(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("AVX512 is not supported on this architecture")
	}
	const rows, k = 3, 1 << 16
	mat := make([]int8, rows*k)
	for i := range mat {
		mat[i] = -128
	}
	check := func(name string, vec []float32, want float64) {
		out := make([]float32, rows)
		dot.GemvImplementation(dtypes.Int8)(nil, mat, vec, rows, 1, k, out, 1, 1)
		for n, got := range out {
			if math.IsNaN(want) != math.IsNaN(float64(got)) || (!math.IsNaN(want) && math.Abs(float64(got)-want) > 1e-4*math.Abs(want)) {
				t.Errorf("%s: row %d: got %g, want %g", name, n, got, want)
			}
		}
	}
	vec := make([]float32, k)
	for i := range vec {
		vec[i] = 3
	}
	check("largest", vec, -128*3*k)
	check("zeros", make([]float32, k), 0)
	vec[k/2] = float32(math.Inf(1))
	check("inf", vec, math.Inf(-1))
	vec[k/2] = float32(math.NaN())
	check("nan", vec, math.NaN())
}

// TestGemvQuantizeVector checks the Int16 rounding of the Int8 VNNI
// kernel's vector: every code within half a step of its value and within
// the bound, the largest magnitude at the bound, and no codes for vectors
// holding an Inf or NaN.
func TestGemvQuantizeVector(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{64, 640, 1 << 16} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 3)
		}
		x[n/3] = -40 // the largest magnitude, negative
		x16, scale, ok := avx512.QuantizeGemvVector(x)
		if !ok {
			t.Fatalf("n=%d: refused a finite vector", n)
		}
		bound := min(math.MaxInt16, math.MaxInt32/(128*4*n/64))
		if got := int(x16[n/3]); got != -bound {
			t.Errorf("n=%d: largest magnitude coded %d, want %d", n, got, -bound)
		}
		for i, v := range x {
			if c := int(x16[i]); c > bound || c < -bound {
				t.Fatalf("n=%d: code %d at %d outside ±%d", n, c, i, bound)
			}
			if d := math.Abs(float64(x16[i])*float64(scale) - float64(v)); d > 0.5001*float64(scale) {
				t.Fatalf("n=%d: element %d = %g coded %d·%g, off by %g", n, i, v, x16[i], scale, d)
			}
		}
	}
	x := make([]float32, 128)
	if x16, scale, ok := avx512.QuantizeGemvVector(x); !ok || scale != 0 || len(x16) != 128 {
		t.Errorf("zeros: ok %v, scale %g, %d codes", ok, scale, len(x16))
	}
	for _, bad := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		x[77] = float32(bad)
		if _, _, ok := avx512.QuantizeGemvVector(x); ok {
			t.Errorf("%g: quantized", bad)
		}
	}
}

// TestGemvTwoStreams runs the kernels on one worker (one take) over row
// counts that split into two streams evenly, with an odd row left and not
// at all (one row), and rows with and without a tail past the last 64
// elements, with prefetches (two streams) and without (one), on every
// dtype and Int8 with and without VNNI.
func TestGemvTwoStreams(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("AVX512 is not supported on this architecture")
	}
	defer func(pf int, vnni bool) { *avx512.GemvPrefetch, *avx512.GemvInt8VNNI = pf, vnni }(*avx512.GemvPrefetch, *avx512.GemvInt8VNNI)
	rng := rand.New(rand.NewPCG(7, 8))
	type variant struct {
		dtype dtypes.DType
		vnni  bool
	}
	variants := []variant{{dtypes.Float32, false}, {dtypes.BFloat16, false}, {dtypes.Int8, false}}
	if *avx512.GemvInt8VNNI {
		variants = append(variants, variant{dtypes.Int8, true})
	}
	for _, pf := range []int{0, 1024} {
		for _, v := range variants {
			for _, rows := range []int{1, 2, 3, 4, 5, 17, 64, 65} {
				for _, k := range []int{64, 128, 640, 647} {
					*avx512.GemvPrefetch, *avx512.GemvInt8VNNI = pf, v.vnni
					name := fmt.Sprintf("prefetch=%d/%s/vnni=%v/rows=%d/k=%d", pf, v.dtype, v.vnni, rows, k)
					checkGemvRows(t, name, rng, v.dtype, rows, k)
				}
			}
		}
	}
}

// checkGemvRows runs the registered GEMV of dtype on a random rows × k
// matrix and one vector, without a backend, against a float64 sum.
func checkGemvRows(t *testing.T, name string, rng *rand.Rand, dtype dtypes.DType, rows, k int) {
	t.Helper()
	w := make([]float64, rows*k)
	x := make([]float32, k)
	var mat any
	switch dtype {
	case dtypes.Float32:
		m := make([]float32, len(w))
		for i := range m {
			m[i] = float32(rng.NormFloat64())
			w[i] = float64(m[i])
		}
		mat = m
	case dtypes.BFloat16:
		m := make([]bfloat16.BFloat16, len(w))
		for i := range m {
			m[i] = bfloat16.FromFloat32(float32(rng.NormFloat64()))
			w[i] = float64(m[i].Float32())
		}
		mat = m
	case dtypes.Int8:
		m := make([]int8, len(w))
		for i := range m {
			m[i] = int8(rng.IntN(256) - 128)
			w[i] = float64(m[i])
		}
		mat = m
	}
	var amax float64
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		amax = max(amax, math.Abs(float64(x[i])))
	}
	// Sentinels past the rows catch a kernel writing beyond them.
	out := make([]float32, rows+2)
	out[rows], out[rows+1] = 42, 43
	dot.GemvImplementation(dtype)(nil, mat, x, rows, 1, k, out[:rows], 1, 1)
	if out[rows] != 42 || out[rows+1] != 43 {
		t.Fatalf("%s: wrote past the last row: %v", name, out[rows:])
	}
	for n := range rows {
		var want, mag, wabs float64
		for i := range k {
			want += w[n*k+i] * float64(x[i])
			mag += math.Abs(w[n*k+i] * float64(x[i]))
			wabs += math.Abs(w[n*k+i])
		}
		// Float32 sums, and the VNNI kernel's Int16 rounding of the vector.
		tol := 1e-5*mag + wabs*amax/32767
		if d := math.Abs(float64(out[n]) - want); d > tol {
			t.Fatalf("%s: row %d: got %g, want %g (tolerance %g)", name, n, out[n], want, tol)
		}
	}
}
