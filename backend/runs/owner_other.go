//go:build !unix

package runs

import "os"

// pidExists relies on FindProcess, which opens the process on Windows and
// fails when it is gone.
func pidExists(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
