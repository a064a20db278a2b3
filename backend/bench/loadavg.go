package bench

import (
	"os"
	"strconv"
	"strings"
)

// loadAverage returns the 1-minute load average (Linux), or -1. A load
// above the core count means other processes competed for the CPU and the
// timings are pessimistic.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
