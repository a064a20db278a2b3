//go:build !unix

package runs

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// tryLockFile uses an exclusively created file where flock is missing. A
// crash can leave it behind; it is then ignored when older than a day.
func tryLockFile(path string) (release func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		if info, serr := os.Stat(path); serr == nil && time.Since(info.ModTime()) > 24*time.Hour {
			os.Remove(path)
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	f.Close()
	return func() { os.Remove(path) }, true, nil
}
