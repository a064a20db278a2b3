//go:build !unix

package batch

// cpuSeconds is unknown here; the benchmark then reports wall time only.
func cpuSeconds() float64 { return 0 }
