// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512

import (
	"math"
	"simd/archsimd"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/internal/gobackend/dot/matmul"
)

// GEMV kernels (see dot/gemv.go): each matrix row is read once and dotted
// with every vector, 16 lanes at a time; BFloat16 rows are widened to
// Float32 in registers. Work is split in takes of whole matrix rows across
// the backend's workers, each take a contiguous part of the matrix that its
// worker reads as one stream.

func registerGemv() {
	dot.RegisterGemv(dtypes.Float32, gemvFloat32, matmul.PriorityAVX512)
	dot.RegisterGemv(dtypes.BFloat16, gemvBFloat16, matmul.PriorityAVX512)
	dot.RegisterGemv(dtypes.Int8, gemvInt8, matmul.PriorityAVX512)
}

// gemvRowsFloat32Asm, gemvRowsBFloat16Asm and gemvRowsInt8Asm
// (gemv_amd64.s) compute one vector's dot products with rows contiguous
// matrix rows of rowBytes bytes, over the first k64 elements of each row (a
// multiple of 64), writing rows contiguous sums; prefetch > 0 prefetches
// the matrix that many bytes ahead of the stream.
//
//go:noescape
func gemvRowsFloat32Asm(w unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int)

//go:noescape
func gemvRowsBFloat16Asm(w unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int)

//go:noescape
func gemvRowsInt8Asm(w unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int)

// gemvRowsInt8VNNIAsm is gemvRowsInt8Asm over a vector quantized to Int16
// (x ≈ scale·x16; see quantizeGemvVector), on AVX512 VNNI.
//
//go:noescape
func gemvRowsInt8VNNIAsm(w unsafe.Pointer, rowBytes int, x16 unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int, scale float32)

// gemv2Float32Asm, gemv2BFloat16Asm, gemv2Int8Asm and gemv2Int8VNNIAsm
// (gemv_amd64.s) are the kernels above with prefetches, over two streams
// of rows at once: rows of wa into outa and as many rows of wb into outb.
//
//go:noescape
func gemv2Float32Asm(wa, wb unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int)

//go:noescape
func gemv2BFloat16Asm(wa, wb unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int)

//go:noescape
func gemv2Int8Asm(wa, wb unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int)

//go:noescape
func gemv2Int8VNNIAsm(wa, wb unsafe.Pointer, rowBytes int, x16 unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int, scale float32)

// gemvKernels are a dtype's assembly kernels: over one stream of rows, and
// over two (used with prefetches; see gemvAsmRows).
type gemvKernels struct {
	one func(w unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int)
	two func(wa, wb unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int)
}

var (
	gemvKernelsFloat32  = gemvKernels{gemvRowsFloat32Asm, gemv2Float32Asm}
	gemvKernelsBFloat16 = gemvKernels{gemvRowsBFloat16Asm, gemv2BFloat16Asm}
	gemvKernelsInt8     = gemvKernels{gemvRowsInt8Asm, gemv2Int8Asm}
)

func gemvCPUIsIntel() bool

// gemvInt8VNNI tells whether the Int8 GEMV may use AVX512 VNNI.
var gemvInt8VNNI = archsimd.X86.AVX512VNNI()

// gemvPrefetch is how far ahead of its stream a GEMV kernel prefetches the
// matrix, in bytes (0: not at all). The hardware prefetchers of AMD Zen 5
// keep a single stream at the rate of a plain read, and a software prefetch
// 1-2 KB ahead slowed it (25-29 to 22-24 GB/s on one core); those of an
// Intel Xeon (Sapphire Rapids class, 2 cores) leave it short of lines in
// flight, and 1 KB ahead is the best distance measured there (BFloat16,
// one core: 10.1 GB/s without, 11.0 at 512 bytes, 11.7 at 1 KB, 10.6 at
// 2 KB).
var gemvPrefetch = func() int {
	if gemvCPUIsIntel() {
		return 1024
	}
	return 0
}()

// gemvTakeBytes is about how much of the matrix a worker reads in one take
// of rows. Each take starts a new stream that the hardware prefetchers have
// to pick up anew, which costs as much as reading tens of KB: two workers
// read a BFloat16 LM head at 32-38 GB/s in takes of 64 rows (80 KB), 47-48
// in takes of 256 KB and 52-57 in takes of 4 MB (AMD EPYC, 2 cores).
const gemvTakeBytes = 4 << 20

// gemvParallelMinBytes is the smallest matrix split across workers.
const gemvParallelMinBytes = 1 << 17

func gemvFloat32(backend *gobackend.Backend, matrix any, vectors []float32,
	rows, numVectors, k int, output []float32, strideN, strideM int) {
	m := matrix.([]float32)
	gemvParallel(backend, rows, 4*k, func(r0, r1 int) {
		if numVectors == 1 && strideN == 1 {
			r0 = gemvAsmRows(m, 4, gemvKernelsFloat32, func(v float32) float32 { return v }, vectors, r0, r1, k, output)
		}
		gemvRowsFloat32(m, vectors, r0, r1, numVectors, k, output, strideN, strideM)
	})
}

func gemvBFloat16(backend *gobackend.Backend, matrix any, vectors []float32,
	rows, numVectors, k int, output []float32, strideN, strideM int) {
	m := matrix.([]bfloat16.BFloat16)
	gemvParallel(backend, rows, 2*k, func(r0, r1 int) {
		if numVectors == 1 && strideN == 1 {
			r0 = gemvAsmRows(m, 2, gemvKernelsBFloat16, bfloat16.BFloat16.Float32, vectors, r0, r1, k, output)
		}
		gemvRowsBFloat16(m, vectors, r0, r1, numVectors, k, output, strideN, strideM)
	})
}

// gemvInt8 is the GEMV of an Int8 matrix (integer codes converted to
// Float32 in the graph); any scale is the graph's to apply to the output.
func gemvInt8(backend *gobackend.Backend, matrix any, vectors []float32,
	rows, numVectors, k int, output []float32, strideN, strideM int) {
	m := matrix.([]int8)
	kern := gemvKernelsInt8
	if numVectors == 1 && strideN == 1 && k >= 64 && gemvInt8VNNI {
		if x16, scale, ok := quantizeGemvVector(vectors[:k&^63]); ok {
			kern.one = func(w unsafe.Pointer, rowBytes int, _ unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int) {
				gemvRowsInt8VNNIAsm(w, rowBytes, unsafe.Pointer(&x16[0]), k64, rows, out, prefetch, scale)
			}
			kern.two = func(wa, wb unsafe.Pointer, rowBytes int, _ unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int) {
				gemv2Int8VNNIAsm(wa, wb, rowBytes, unsafe.Pointer(&x16[0]), k64, rows, outa, outb, prefetch, scale)
			}
		}
	}
	gemvParallel(backend, rows, k, func(r0, r1 int) {
		if numVectors == 1 && strideN == 1 {
			r0 = gemvAsmRows(m, 1, kern, func(v int8) float32 { return float32(v) }, vectors, r0, r1, k, output)
		}
		gemvRowsInt8(m, vectors, r0, r1, numVectors, k, output, strideN, strideM)
	})
}

// quantizeGemvVector rounds x (a multiple of 64 long) to Int16 codes with
// one scale, x ≈ scale·x16, for gemvRowsInt8VNNIAsm. The codes stay within
// ±bound, where bound keeps every Int32 lane of that kernel from
// overflowing whatever the Int8 codes: a lane adds 4·len(x)/64 products of
// at most 128·bound. For rows up to 8,192 elements the bound is 32,767, a
// relative rounding error of 1.5e-5 of the vector's largest element, far
// under the Int8 weights' own. ok is false when x holds an Inf or NaN,
// which the Float32 kernel propagates as it should. It runs once per
// product on the calling goroutine, so it is vectorized: scalar code took
// about 5 % of an Int8 decode step.
func quantizeGemvVector(x []float32) (x16 []int16, scale float32, ok bool) {
	// amax is the largest magnitude; finite stays zero unless some
	// element is Inf or NaN (their product with zero is NaN).
	var amaxV, finiteV archsimd.Float32x16
	for i := 0; i < len(x); i += 16 {
		v := archsimd.LoadFloat32x16(x[i : i+16])
		amaxV = amaxV.Max(v.Abs())
		finiteV = finiteV.Add(v.Mul(archsimd.Float32x16{}))
	}
	if f := avx512ReduceSumFloat32x16(finiteV); f != 0 {
		return nil, 0, false
	}
	var lanes [16]float32
	amaxV.StoreArray(&lanes)
	var amax float32
	for _, a := range lanes {
		amax = max(amax, a)
	}
	x16 = make([]int16, len(x))
	if amax == 0 {
		return x16, 0, true
	}
	bound := float32(min(math.MaxInt16, math.MaxInt32/(128*4*len(x)/64)))
	inv, hi, lo := archsimd.BroadcastFloat32x16(bound/amax), archsimd.BroadcastFloat32x16(bound), archsimd.BroadcastFloat32x16(-bound)
	for i := 0; i < len(x); i += 16 {
		q := archsimd.LoadFloat32x16(x[i : i+16]).Mul(inv).Min(hi).Max(lo)
		q.RoundScaled(0).ConvertToInt32().SaturateToInt16().Store(x16[i : i+16])
	}
	return x16, amax / bound, true
}

// gemvAsmRows computes one vector's products with the rows [r0, r1) into
// the contiguous output: a kernel of kern (elemBytes per element) over each
// row's first multiple of 64 elements, then the rest of each row here. With
// prefetches (Intel), the first and second halves of the rows go through
// the two-stream kernel, and an odd last row through the one-stream one;
// without them (AMD, whose hardware prefetchers keep one stream at a plain
// read's rate), all rows go through the one-stream kernel. It returns the
// first row left for the Go kernels: r1, or r0 itself when k is under 64.
func gemvAsmRows[T any](m []T, elemBytes int, kern gemvKernels,
	widen func(T) float32, vectors []float32, r0, r1, k int, output []float32) int {
	if k < 64 || r1 <= r0 {
		return r0
	}
	k64, rowBytes, x := k&^63, elemBytes*k, unsafe.Pointer(&vectors[0])
	first := r0
	if half := (r1 - r0) / 2; gemvPrefetch > 0 && half > 0 {
		kern.two(unsafe.Pointer(&m[r0*k]), unsafe.Pointer(&m[(r0+half)*k]), rowBytes, x, k64, half,
			unsafe.Pointer(&output[r0]), unsafe.Pointer(&output[r0+half]), gemvPrefetch)
		first = r0 + 2*half
	}
	if first < r1 {
		kern.one(unsafe.Pointer(&m[first*k]), rowBytes, x, k64, r1-first, unsafe.Pointer(&output[first]), gemvPrefetch)
	}
	if k64 < k {
		for n := r0; n < r1; n++ {
			row := m[n*k : (n+1)*k]
			s := output[n]
			for i := k64; i < k; i++ {
				s += widen(row[i]) * vectors[i]
			}
			output[n] = s
		}
	}
	return r1
}

// gemvParallel runs fn over takes of rows [r0, r1) of rowBytes each, on the
// backend's workers when the matrix is large enough: takes of about
// gemvTakeBytes, at least one per worker, handed out in order.
func gemvParallel(backend *gobackend.Backend, rows, rowBytes int, fn func(r0, r1 int)) {
	maxWorkers := 1
	if backend != nil && backend.Workers != nil {
		maxWorkers = backend.Workers.AdjustedMaxParallelism()
	}
	take := max(gemvTakeBytes/rowBytes, 1)
	if maxWorkers <= 1 || rows*rowBytes < gemvParallelMinBytes || rows < 2 {
		// One worker still goes take by take: the assembly kernels cannot
		// be preempted, and a garbage collection waits for them.
		for r0 := 0; r0 < rows; r0 += take {
			fn(r0, min(r0+take, rows))
		}
		return
	}
	take = min(take, (rows+maxWorkers-1)/maxWorkers)
	var next atomic.Int64
	work := func() {
		for {
			r0 := int(next.Add(int64(take))) - take
			if r0 >= rows {
				return
			}
			fn(r0, min(r0+take, rows))
		}
	}
	// A decode step is a chain of products of tens of microseconds: polling
	// helpers take each at once, where new goroutines would wait for a
	// thread to wake.
	if sp := backend.Spinners(); sp != nil {
		sp.Run(work)
		return
	}
	backend.Workers.Saturate(work)
}

// loadBF16x16 widens 16 BFloat16 values at p to Float32.
func loadBF16x16(p unsafe.Pointer) archsimd.Float32x16 {
	return archsimd.LoadUint16x16Array((*[16]uint16)(p)).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
}

func loadF32x16(p unsafe.Pointer) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16Array((*[16]float32)(p))
}

// gemvRowsShortFloat32 computes the outputs of Float32 matrix rows [r0, r1)
// shorter than one vector register (a LoRA up-projection's rows hold the
// rank, 8 or 16 values): a scalar sum per row, where the vector loop would
// spend a register reduction on every row. (BFloat16 and Int8 weights have
// no rows this short; their loops handle them correctly, if slowly.)
func gemvRowsShortFloat32(m, vectors []float32, r0, r1, numVectors, k int, out []float32, strideN, strideM int) {
	for n := r0; n < r1; n++ {
		row := m[n*k : (n+1)*k]
		for v := 0; v < numVectors; v++ {
			xs := vectors[v*k : (v+1)*k]
			xs = xs[:len(row)]
			var s float32
			for i, w := range row {
				s += w * xs[i]
			}
			out[n*strideN+v*strideM] = s
		}
	}
}

// gemvRowsFloat32 computes the outputs of matrix rows [r0, r1).
func gemvRowsFloat32(m, vectors []float32, r0, r1, numVectors, k int, out []float32, strideN, strideM int) {
	if r1 <= r0 {
		return
	}
	if k < 16 {
		gemvRowsShortFloat32(m, vectors, r0, r1, numVectors, k, out, strideN, strideM)
		return
	}
	_ = m[r1*k-1]
	_ = vectors[numVectors*k-1]
	base := unsafe.Pointer(unsafe.SliceData(m))
	vbase := unsafe.Pointer(unsafe.SliceData(vectors))
	k16 := k &^ 15
	// Vectors in the inner loop: a block of 4 matrix rows stays in cache
	// while every vector passes over it.
	n := r0
	for ; n+4 <= r1; n += 4 {
		for v := 0; v < numVectors; v++ {
			x := unsafe.Add(vbase, 4*v*k)
			xs := vectors[v*k : (v+1)*k]
			w0 := unsafe.Add(base, 4*n*k)
			w1 := unsafe.Add(w0, 4*k)
			w2 := unsafe.Add(w1, 4*k)
			w3 := unsafe.Add(w2, 4*k)
			var a0, a1, a2, a3 archsimd.Float32x16
			for i := 0; i < k16; i += 16 {
				xv := loadF32x16(unsafe.Add(x, 4*i))
				a0 = loadF32x16(unsafe.Add(w0, 4*i)).MulAdd(xv, a0)
				a1 = loadF32x16(unsafe.Add(w1, 4*i)).MulAdd(xv, a1)
				a2 = loadF32x16(unsafe.Add(w2, 4*i)).MulAdd(xv, a2)
				a3 = loadF32x16(unsafe.Add(w3, 4*i)).MulAdd(xv, a3)
			}
			s0, s1, s2, s3 := avx512ReduceSumFloat32x16(a0), avx512ReduceSumFloat32x16(a1),
				avx512ReduceSumFloat32x16(a2), avx512ReduceSumFloat32x16(a3)
			for i := k16; i < k; i++ {
				s0 += m[n*k+i] * xs[i]
				s1 += m[(n+1)*k+i] * xs[i]
				s2 += m[(n+2)*k+i] * xs[i]
				s3 += m[(n+3)*k+i] * xs[i]
			}
			o := n*strideN + v*strideM
			out[o], out[o+strideN], out[o+2*strideN], out[o+3*strideN] = s0, s1, s2, s3
		}
	}
	for ; n < r1; n++ {
		for v := 0; v < numVectors; v++ {
			x := unsafe.Add(vbase, 4*v*k)
			xs := vectors[v*k : (v+1)*k]
			w0 := unsafe.Add(base, 4*n*k)
			var a0 archsimd.Float32x16
			for i := 0; i < k16; i += 16 {
				a0 = loadF32x16(unsafe.Add(w0, 4*i)).MulAdd(loadF32x16(unsafe.Add(x, 4*i)), a0)
			}
			s0 := avx512ReduceSumFloat32x16(a0)
			for i := k16; i < k; i++ {
				s0 += m[n*k+i] * xs[i]
			}
			out[n*strideN+v*strideM] = s0
		}
	}
}

// gemvRowsBFloat16 is gemvRowsFloat32 for a BFloat16 matrix.
func gemvRowsBFloat16(m []bfloat16.BFloat16, vectors []float32, r0, r1, numVectors, k int, out []float32, strideN, strideM int) {
	if r1 <= r0 {
		return
	}
	_ = m[r1*k-1]
	_ = vectors[numVectors*k-1]
	base := unsafe.Pointer(unsafe.SliceData(m))
	vbase := unsafe.Pointer(unsafe.SliceData(vectors))
	k16 := k &^ 15
	// Vectors in the inner loop: a block of 4 matrix rows stays in cache
	// while every vector passes over it.
	n := r0
	for ; n+4 <= r1; n += 4 {
		for v := 0; v < numVectors; v++ {
			x := unsafe.Add(vbase, 4*v*k)
			xs := vectors[v*k : (v+1)*k]
			w0 := unsafe.Add(base, 2*n*k)
			w1 := unsafe.Add(w0, 2*k)
			w2 := unsafe.Add(w1, 2*k)
			w3 := unsafe.Add(w2, 2*k)
			var a0, a1, a2, a3 archsimd.Float32x16
			for i := 0; i < k16; i += 16 {
				xv := loadF32x16(unsafe.Add(x, 4*i))
				a0 = loadBF16x16(unsafe.Add(w0, 2*i)).MulAdd(xv, a0)
				a1 = loadBF16x16(unsafe.Add(w1, 2*i)).MulAdd(xv, a1)
				a2 = loadBF16x16(unsafe.Add(w2, 2*i)).MulAdd(xv, a2)
				a3 = loadBF16x16(unsafe.Add(w3, 2*i)).MulAdd(xv, a3)
			}
			s0, s1, s2, s3 := avx512ReduceSumFloat32x16(a0), avx512ReduceSumFloat32x16(a1),
				avx512ReduceSumFloat32x16(a2), avx512ReduceSumFloat32x16(a3)
			for i := k16; i < k; i++ {
				s0 += m[n*k+i].Float32() * xs[i]
				s1 += m[(n+1)*k+i].Float32() * xs[i]
				s2 += m[(n+2)*k+i].Float32() * xs[i]
				s3 += m[(n+3)*k+i].Float32() * xs[i]
			}
			o := n*strideN + v*strideM
			out[o], out[o+strideN], out[o+2*strideN], out[o+3*strideN] = s0, s1, s2, s3
		}
	}
	for ; n < r1; n++ {
		for v := 0; v < numVectors; v++ {
			x := unsafe.Add(vbase, 4*v*k)
			xs := vectors[v*k : (v+1)*k]
			w0 := unsafe.Add(base, 2*n*k)
			var a0 archsimd.Float32x16
			for i := 0; i < k16; i += 16 {
				a0 = loadBF16x16(unsafe.Add(w0, 2*i)).MulAdd(loadF32x16(unsafe.Add(x, 4*i)), a0)
			}
			s0 := avx512ReduceSumFloat32x16(a0)
			for i := k16; i < k; i++ {
				s0 += m[n*k+i].Float32() * xs[i]
			}
			out[n*strideN+v*strideM] = s0
		}
	}
}

// loadI8x16 widens 16 Int8 values at p to Float32.
func loadI8x16(p unsafe.Pointer) archsimd.Float32x16 {
	return archsimd.LoadInt8x16Array((*[16]int8)(p)).ExtendToInt32().ConvertToFloat32()
}

// gemvRowsInt8 is gemvRowsFloat32 for an Int8 matrix, one row at a time
// (the several-vector case and rows under 64 elements; one vector takes
// gemvRowsInt8Asm).
func gemvRowsInt8(m []int8, vectors []float32, r0, r1, numVectors, k int, out []float32, strideN, strideM int) {
	if r1 <= r0 {
		return
	}
	_ = m[r1*k-1]
	_ = vectors[numVectors*k-1]
	base := unsafe.Pointer(unsafe.SliceData(m))
	vbase := unsafe.Pointer(unsafe.SliceData(vectors))
	k16 := k &^ 15
	for n := r0; n < r1; n++ {
		for v := 0; v < numVectors; v++ {
			x := unsafe.Add(vbase, 4*v*k)
			xs := vectors[v*k : (v+1)*k]
			w0 := unsafe.Add(base, n*k)
			var a0 archsimd.Float32x16
			for i := 0; i < k16; i += 16 {
				a0 = loadI8x16(unsafe.Add(w0, i)).MulAdd(loadF32x16(unsafe.Add(x, 4*i)), a0)
			}
			s0 := avx512ReduceSumFloat32x16(a0)
			for i := k16; i < k; i++ {
				s0 += float32(m[n*k+i]) * xs[i]
			}
			out[n*strideN+v*strideM] = s0
		}
	}
}
