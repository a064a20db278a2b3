//go:build !(amd64 && goexperiment.simd)

package bench

func sumWords(b []uint64) uint64 { return sumWordsScalar(b) }
