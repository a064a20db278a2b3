package export

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// writeDirAtomic builds an export in a temporary sibling of dst and renames
// it to dst only when fill succeeds, so dst is either absent, the previous
// export, or the complete new one. An existing non-empty dst is replaced
// only when overwrite is set.
func writeDirAtomic(dst string, overwrite bool, fill func(tmp string) error) error {
	dst = filepath.Clean(dst)
	if entries, err := os.ReadDir(dst); err == nil && len(entries) > 0 && !overwrite {
		return fmt.Errorf("output directory %s already exists and is not empty (choose another or allow overwriting)", dst)
	} else if err != nil && !os.IsNotExist(err) {
		if st, serr := os.Stat(dst); serr == nil && !st.IsDir() {
			return fmt.Errorf("output %s exists and is not a directory", dst)
		}
	}
	return safefile.ReplaceDir(dst, fill)
}
