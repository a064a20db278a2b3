//go:build unix

package runs

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// tryLockFile takes an exclusive advisory lock on path without waiting.
// The lock belongs to the open file: it is released by closing it, and by
// the kernel when the process dies, so a crash never leaves it held. Two
// opens of one path conflict even inside one process (flock locks belong
// to the open file, not to the process).
func tryLockFile(path string) (release func(), ok bool, err error) {
	return flockFile(path, syscall.LOCK_EX|syscall.LOCK_NB)
}

// lockFile takes an exclusive advisory lock on path, waiting for it. It is
// only used for locks that every holder keeps for an instant.
func lockFile(path string) (release func(), err error) {
	release, _, err = flockFile(path, syscall.LOCK_EX)
	return release, err
}

func flockFile(path string, how int) (release func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("open lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, true, nil
}
