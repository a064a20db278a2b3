package runs

import (
	"fmt"
	"os"
	"strings"
)

// selfOwner describes the current process.
func selfOwner() Owner {
	pid := os.Getpid()
	return Owner{PID: pid, Start: procStart(pid)}
}

// procStart reads field 22 (starttime) of /proc/<pid>/stat; empty where
// /proc is not available.
func procStart(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces; fields resume after ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); starttime is field 22.
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// processAlive reports whether the owner process still exists (and is the
// same process, when start times are known).
func processAlive(o Owner) bool {
	if o.PID <= 0 {
		return false
	}
	if !pidExists(o.PID) {
		return false
	}
	if o.Start != "" {
		if now := procStart(o.PID); now != "" && now != o.Start {
			return false
		}
	}
	return true
}
