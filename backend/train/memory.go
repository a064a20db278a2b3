package train

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// processMemoryMB reads the resident set size and its peak (VmRSS and
// VmHWM) from /proc/self/status; zeros where /proc is not available.
func processMemoryMB() (rss, peak float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *float64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &peak
		default:
			continue
		}
		fields := strings.Fields(line)
		if len(fields) >= 2 {
			if kb, err := strconv.ParseFloat(fields[1], 64); err == nil {
				*dst = kb / 1024
			}
		}
	}
	return rss, peak
}

// PeakRSSMB is the process's peak resident memory so far, in MiB.
func PeakRSSMB() float64 {
	_, peak := processMemoryMB()
	return peak
}
