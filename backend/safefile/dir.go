package safefile

import (
	"fmt"
	"os"
	"path/filepath"
)

// ReplaceDir builds a directory through fill in a temporary sibling of dst
// and swaps it in only when fill succeeds, so dst is always absent, the
// previous version or the complete new one: a crash or a failed export
// never leaves a half-written folder under the name a user looks for. The
// previous dst is moved aside until the new one is in place and restored if
// that rename fails. Errors from fill are returned as they are.
func ReplaceDir(dst string, fill func(tmp string) error) (err error) {
	dst = filepath.Clean(dst)
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create directory %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary directory for %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	// MkdirTemp makes the folder 0700; give it a plain folder's permissions
	// so other tools and users can read what was written.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	var old string
	if _, err := os.Lstat(dst); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dst, old); err != nil {
			return fmt.Errorf("move previous %s aside: %w", dst, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		if old != "" {
			os.Rename(old, dst)
		}
		return fmt.Errorf("rename into %s: %w", dst, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}
