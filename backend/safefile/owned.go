package safefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/quote"
)

// MarkerFile is written into every folder ReplaceOwnedDir makes. Its
// presence is what allows Whetstone to replace the folder later; a folder
// without it was made by someone else and is never replaced.
const MarkerFile = ".whetstone-output"

const markerText = "This folder was written by Whetstone, which may replace it when asked to overwrite it.\n" +
	"Delete this file to keep Whetstone from ever replacing the folder.\n"

// ErrNotOwned refuses to replace a folder Whetstone did not make.
var ErrNotOwned = errors.New("folder not made by Whetstone")

// ErrExists refuses to replace a folder Whetstone made without leave.
var ErrExists = errors.New("folder exists")

// ReplaceOwnedDir is ReplaceDir for destinations a user names (an export,
// a run's extra adapter copy): dst must be absent, an empty folder, or a
// folder carrying MarkerFile, and the last only when replace is set. Any
// other folder, or a file, is left untouched with an error, whatever the
// caller's overwrite flag says: a request must never be able to swap
// someone's files for ours. The new folder carries MarkerFile.
func ReplaceOwnedDir(dst string, replace bool, fill func(tmp string) error) error {
	dst = filepath.Clean(dst)
	if err := CheckReplaceable(dst, replace); err != nil {
		return err
	}
	return ReplaceDir(dst, func(tmp string) error {
		if err := fill(tmp); err != nil {
			return err
		}
		return Write(filepath.Join(tmp, MarkerFile), []byte(markerText), 0o644)
	})
}

// CheckReplaceable reports, without writing anything, whether
// ReplaceOwnedDir(dst, replace, …) would be allowed to write dst.
func CheckReplaceable(dst string, replace bool) error {
	st, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %s: %w", quote.Value(dst), err)
	}
	if !st.IsDir() {
		return &refusal{ErrNotOwned, fmt.Sprintf("output %s exists and is not a folder: choose a new folder", quote.Value(dst))}
	}
	entries, err := os.ReadDir(dst)
	if err != nil {
		return fmt.Errorf("output folder %s: %w", quote.Value(dst), err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dst, MarkerFile)); err != nil {
		return &refusal{ErrNotOwned, fmt.Sprintf("output folder %s already holds files that Whetstone did not write (it has no %s file), so it is never replaced: choose a new folder",
			quote.Value(dst), MarkerFile)}
	}
	if !replace {
		return &refusal{ErrExists, fmt.Sprintf("output folder %s already holds an earlier export: allow overwriting it, or choose a new folder", quote.Value(dst))}
	}
	return nil
}

// refusal is a message that matches its kind (ErrNotOwned, ErrExists)
// with errors.Is without repeating the kind's words.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string        { return r.msg }
func (r *refusal) Is(target error) bool { return target == r.kind }
