//go:build !unix

package bench

// processCPUSeconds is not measured on this platform.
func processCPUSeconds() float64 { return 0 }
