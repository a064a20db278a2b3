package service

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// availableMB reads MemAvailable from /proc/meminfo; 0 when unknown (other
// platforms), which the UI shows as "unknown" rather than a false alarm.
func availableMB() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
