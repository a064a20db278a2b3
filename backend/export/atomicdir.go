package export

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeDirAtomic builds an export in a temporary sibling of dst and renames
// it to dst only when fill succeeds, so dst is either absent, the previous
// export, or the complete new one. An existing non-empty dst is replaced
// only when overwrite is set.
func writeDirAtomic(dst string, overwrite bool, fill func(tmp string) error) (err error) {
	dst = filepath.Clean(dst)
	if entries, err := os.ReadDir(dst); err == nil && len(entries) > 0 && !overwrite {
		return fmt.Errorf("output directory %s already exists and is not empty (choose another or allow overwriting)", dst)
	} else if err != nil && !os.IsNotExist(err) {
		if st, serr := os.Stat(dst); serr == nil && !st.IsDir() {
			return fmt.Errorf("output %s exists and is not a directory", dst)
		}
	}
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary export directory in %s: %w", parent, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	var old string
	if _, err := os.Stat(dst); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dst, old); err != nil {
			return fmt.Errorf("move previous export %s aside: %w", dst, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		if old != "" {
			os.Rename(old, dst)
		}
		return fmt.Errorf("rename export into %s: %w", dst, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}
