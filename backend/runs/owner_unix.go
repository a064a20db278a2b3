//go:build unix

package runs

import (
	"errors"
	"syscall"
)

// pidExists sends signal 0, which checks existence without delivering
// anything; EPERM means it exists but belongs to someone else.
func pidExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
