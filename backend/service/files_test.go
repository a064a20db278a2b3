package service

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

func TestCheckUploadName(t *testing.T) {
	for _, ok := range []string{"chats.jsonl", "Data Set (1).CSV", "x.parquet", "notes.txt", "a.json"} {
		require.NoError(t, CheckUploadName(ok), ok)
	}
	for _, bad := range []string{"", "chats", "run.exe", "../x.jsonl", "a/b.csv", `a\b.csv`, ".hidden.jsonl", "..", "c:x.csv", "bell\a.csv", strings.Repeat("x", 300) + ".csv"} {
		err := CheckUploadName(bad)
		require.Error(t, err, bad)
		require.ErrorIs(t, err, ErrInvalidRequest, bad)
		require.True(t, strings.HasPrefix(err.Error(), "name: "), err.Error())
	}
}

// failing delivers some bytes, then the connection drops.
type failing struct{ sent bool }

func (f *failing) Read(p []byte) (int, error) {
	if !f.sent {
		f.sent = true
		return copy(p, "{\"a\": 1}\n"), nil
	}
	return 0, errors.New("connection reset")
}

func TestUploadDatasetIsAtomicAndBounded(t *testing.T) {
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	dst := filepath.Join(DatasetsDir(ws), "d.jsonl")

	_, err = UploadDataset(ws, "d.jsonl", &failing{}, 1<<20, false)
	require.ErrorContains(t, err, "connection reset")
	_, err = UploadDataset(ws, "d.jsonl", strings.NewReader("12345"), 4, false)
	require.ErrorIs(t, err, ErrTooLarge)
	entries, _ := os.ReadDir(DatasetsDir(ws))
	require.Empty(t, entries, "a failed upload leaves nothing, not even a temporary file")

	got, err := UploadDataset(ws, "d.jsonl", strings.NewReader("1234"), 4, false)
	require.NoError(t, err)
	require.Equal(t, UploadedFile{Path: dst, Bytes: 4}, got)
	_, err = UploadDataset(ws, "d.jsonl", strings.NewReader("new"), 4, false)
	require.ErrorIs(t, err, safefile.ErrExists)
	_, err = UploadDataset(ws, "d.jsonl", &failing{}, 4, true)
	require.Error(t, err)
	data, _ := os.ReadFile(dst)
	require.Equal(t, "1234", string(data), "a failed overwrite keeps the old file")
	_, err = UploadDataset(ws, "d.jsonl", strings.NewReader("new"), 4, true)
	require.NoError(t, err)
	data, _ = os.ReadFile(dst)
	require.Equal(t, "new", string(data))
}

func TestListAndOpenExports(t *testing.T) {
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	mine := filepath.Join(ws.ExportsDir(), "mine")
	require.NoError(t, safefile.ReplaceOwnedDir(mine, false, func(tmp string) error {
		require.NoError(t, os.MkdirAll(filepath.Join(tmp, "sub"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(tmp, "sub", "a.bin"), []byte("abc"), 0o644))
		return os.WriteFile(filepath.Join(tmp, "b.txt"), []byte("hello"), 0o644)
	}))
	require.NoError(t, os.MkdirAll(filepath.Join(ws.ExportsDir(), "foreign"), 0o755))
	require.NoError(t, os.Symlink(mine, filepath.Join(ws.ExportsDir(), "link")))

	list, err := ListExports(ws)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "mine", list[0].ID)
	require.Equal(t, int64(8), list[0].Bytes)
	require.ElementsMatch(t, []ExportedFile{{Path: "b.txt", Size: 5}, {Path: "sub/a.bin", Size: 3}}, list[0].Files)

	root, f, err := OpenExport(ws, "mine")
	require.NoError(t, err)
	defer root.Close()
	require.Equal(t, mine, f.Path)
	r, err := root.Open("sub/a.bin")
	require.NoError(t, err)
	b, _ := io.ReadAll(r)
	r.Close()
	require.Equal(t, "abc", string(b))
	_, err = root.Open("../../settings.json")
	require.Error(t, err)

	for _, id := range []string{"foreign", "link", "..", "", "mine/sub", "nope"} {
		_, _, err := OpenExport(ws, id)
		require.ErrorIs(t, err, os.ErrNotExist, id)
	}
}
