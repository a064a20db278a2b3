// Package sysmem reads how much memory this machine can give a run.
package sysmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// Available is MemAvailable from /proc/meminfo, in bytes: what a run can
// take without swapping. 0 when unknown (other platforms), which callers
// treat as "cannot tell" rather than "none".
func Available() int64 { return meminfo("/proc/meminfo", "MemAvailable:") }

// Total is MemTotal from /proc/meminfo, in bytes; 0 when unknown.
func Total() int64 { return meminfo("/proc/meminfo", "MemTotal:") }

// meminfo reads one "Key: N kB" line of a meminfo file.
func meminfo(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == key {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
