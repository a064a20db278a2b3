//go:build amd64 && goexperiment.simd

package bench

import (
	"simd/archsimd"
	"unsafe"
)

// sumWords adds b's words with AVX-512 loads when the CPU has them, so the
// bandwidth measurement is bound by memory, not by the adding.
func sumWords(b []uint64) uint64 {
	if !archsimd.X86.AVX512() {
		return sumWordsScalar(b)
	}
	var a0, a1, a2, a3 archsimd.Uint64x8
	n := len(b) &^ 31
	for i := 0; i < n; i += 32 {
		p := unsafe.Pointer(&b[i])
		a0 = a0.Add(archsimd.LoadUint64x8Array((*[8]uint64)(p)))
		a1 = a1.Add(archsimd.LoadUint64x8Array((*[8]uint64)(unsafe.Add(p, 64))))
		a2 = a2.Add(archsimd.LoadUint64x8Array((*[8]uint64)(unsafe.Add(p, 128))))
		a3 = a3.Add(archsimd.LoadUint64x8Array((*[8]uint64)(unsafe.Add(p, 192))))
	}
	var lanes [8]uint64
	a0.Add(a1).Add(a2.Add(a3)).StoreArray(&lanes)
	s := sumWordsScalar(b[n:])
	for _, l := range lanes {
		s += l
	}
	return s
}
