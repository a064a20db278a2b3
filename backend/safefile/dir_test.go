package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReplaceDirSwapsInOnlyOnSuccess(t *testing.T) {
	parent := t.TempDir()
	dst := filepath.Join(parent, "sub", "out")
	write := func(content string) func(string) error {
		return func(tmp string) error {
			return os.WriteFile(filepath.Join(tmp, "f"), []byte(content), 0o644)
		}
	}
	require.NoError(t, ReplaceDir(dst, write("one")))
	require.NoError(t, ReplaceDir(dst, write("two")))
	got, err := os.ReadFile(filepath.Join(dst, "f"))
	require.NoError(t, err)
	require.Equal(t, "two", string(got))
	st, err := os.Stat(dst)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), st.Mode().Perm())

	err = ReplaceDir(dst, func(tmp string) error {
		if err := write("partial")(tmp); err != nil {
			return err
		}
		return errors.New("disk on fire")
	})
	require.EqualError(t, err, "disk on fire")
	got, err = os.ReadFile(filepath.Join(dst, "f"))
	require.NoError(t, err)
	require.Equal(t, "two", string(got), "a failed fill must leave the previous folder")
	entries, err := os.ReadDir(filepath.Dir(dst))
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary folders must not remain")
}
