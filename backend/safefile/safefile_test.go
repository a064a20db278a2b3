package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "a.json")
	require.NoError(t, WriteJSON(p, map[string]int{"a": 1}))
	require.NoError(t, Write(p, []byte("second"), 0o600))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "second", string(got))
	entries, err := os.ReadDir(filepath.Dir(p))
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary files must not remain")
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestWriteFailsOnUnwritableTarget(t *testing.T) {
	dir := t.TempDir()
	// A directory cannot be replaced by a file.
	target := filepath.Join(dir, "d")
	require.NoError(t, os.MkdirAll(filepath.Join(target, "x"), 0o755))
	err := Write(target, []byte("x"), 0o644)
	require.Error(t, err)
	require.Contains(t, err.Error(), target)
}

func TestWriteFromStreamsAndKeepsOldFileOnFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.bin")
	require.NoError(t, WriteFrom(p, 0o644, func(w io.Writer) error {
		for i := 0; i < 3; i++ {
			if _, err := w.Write([]byte{byte('a' + i)}); err != nil {
				return err
			}
		}
		return nil
	}))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "abc", string(got))

	err = WriteFrom(p, 0o644, func(w io.Writer) error {
		if _, err := w.Write([]byte("partial")); err != nil {
			return err
		}
		return errors.New("disk on fire")
	})
	require.ErrorContains(t, err, "disk on fire")
	require.ErrorContains(t, err, p)
	got, err = os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "abc", string(got), "a failed write must leave the old file")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary files must not remain")
}
