package export

import (
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// writeDirAtomic builds an export in a temporary sibling of dst and renames
// it to dst only when fill succeeds, so dst is either absent, the previous
// export, or the complete new one. An existing folder is replaced only when
// it is an earlier export (it carries safefile.MarkerFile) and overwrite is
// set; a folder Whetstone did not make is never replaced.
func writeDirAtomic(dst string, overwrite bool, fill func(tmp string) error) error {
	return safefile.ReplaceOwnedDir(dst, overwrite, fill)
}
