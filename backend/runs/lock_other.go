//go:build !unix

package runs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// tryLockFile uses an exclusively created file holding the owner's pid
// where flock is missing. A crash leaves it behind; it is then taken over
// when its pid no longer exists or it is older than a day. This is a best
// effort (pid reuse can keep a stale lock alive); unix systems use flock.
func tryLockFile(path string) (release func(), ok bool, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, os.ErrExist) {
			if !staleLock(path) {
				return nil, false, nil
			}
			os.Remove(path)
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("lock %s: %w", path, err)
		}
		fmt.Fprintf(f, "%d\n", os.Getpid())
		f.Close()
		return func() { os.Remove(path) }, true, nil
	}
	return nil, false, nil
}

// lockFile waits for tryLockFile; it is only used for locks that every
// holder keeps for an instant.
func lockFile(path string) (release func(), err error) {
	for {
		release, ok, err := tryLockFile(path)
		if err != nil || ok {
			return release, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func staleLock(path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		return false
	}
	if time.Since(info.ModTime()) > 24*time.Hour {
		return true
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		// Being written right now, or garbage: only age retires it.
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	p.Release()
	return false
}
