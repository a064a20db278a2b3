package safefile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeOut(name string) func(string) error {
	return func(tmp string) error { return os.WriteFile(filepath.Join(tmp, name), []byte("new"), 0o644) }
}

func TestReplaceOwnedDirNeverReplacesAStrangersFolder(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "photos")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dst, "holiday.jpg"), []byte("precious"), 0o644))

	for _, replace := range []bool{false, true} {
		err := ReplaceOwnedDir(dst, replace, writeOut("adapter.safetensors"))
		require.ErrorIs(t, err, ErrNotOwned)
		assert.Contains(t, err.Error(), "never replaced")
	}
	got, err := os.ReadFile(filepath.Join(dst, "holiday.jpg"))
	require.NoError(t, err)
	assert.Equal(t, "precious", string(got))
	_, err = os.Stat(filepath.Join(dst, "adapter.safetensors"))
	assert.True(t, os.IsNotExist(err))
	siblings, err := os.ReadDir(filepath.Dir(dst))
	require.NoError(t, err)
	assert.Len(t, siblings, 1, "no temporary folder is left beside it")
}

func TestReplaceOwnedDirReplacesOnlyItsOwnWithLeave(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "export")
	require.NoError(t, ReplaceOwnedDir(dst, false, writeOut("a")))
	_, err := os.Stat(filepath.Join(dst, MarkerFile))
	require.NoError(t, err, "a folder Whetstone makes carries the marker")

	err = ReplaceOwnedDir(dst, false, writeOut("b"))
	require.ErrorIs(t, err, ErrExists)
	require.NoError(t, ReplaceOwnedDir(dst, true, writeOut("b")))
	_, err = os.Stat(filepath.Join(dst, "a"))
	assert.True(t, os.IsNotExist(err))
	_, err = os.Stat(filepath.Join(dst, "b"))
	assert.NoError(t, err)

	// Removing the marker takes the folder back from Whetstone.
	require.NoError(t, os.Remove(filepath.Join(dst, MarkerFile)))
	require.ErrorIs(t, ReplaceOwnedDir(dst, true, writeOut("c")), ErrNotOwned)
}

func TestReplaceOwnedDirAcceptsEmptyFolderAndRefusesFile(t *testing.T) {
	base := t.TempDir()
	empty := filepath.Join(base, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))
	require.NoError(t, ReplaceOwnedDir(empty, false, writeOut("a")))
	file := filepath.Join(base, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	require.ErrorIs(t, ReplaceOwnedDir(file, true, writeOut("a")), ErrNotOwned)
	got, _ := os.ReadFile(file)
	assert.Equal(t, "x", string(got))
}

func TestReplaceOwnedDirRefusesASymlinkedFolder(t *testing.T) {
	base := t.TempDir()
	target := filepath.Join(base, "target")
	require.NoError(t, ReplaceOwnedDir(target, false, writeOut("a")))
	link := filepath.Join(base, "link")
	require.NoError(t, os.Symlink(target, link))
	require.ErrorIs(t, ReplaceOwnedDir(link, true, writeOut("b")), ErrNotOwned)
}
