package logging

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFileAndJSONConsole(t *testing.T) {
	dir := t.TempDir()
	var console bytes.Buffer
	log, closeFn, err := New(Options{Dir: dir, Console: &console, Level: "info"})
	require.NoError(t, err)
	log.Debug().Msg("hidden")
	log.Info().Str("run", "r1").Msg("started")
	require.NoError(t, closeFn())

	var rec map[string]any
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(console.Bytes()), &rec))
	require.Equal(t, "started", rec["message"])
	require.Equal(t, "r1", rec["run"])

	data, err := os.ReadFile(filepath.Join(dir, "whetstone.log"))
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(data), "\n"), "debug line must be filtered")
}

func TestBadLevel(t *testing.T) {
	_, _, err := New(Options{Level: "loud"})
	require.ErrorContains(t, err, `"loud"`)
}

func TestLongLinesAreCut(t *testing.T) {
	dir := t.TempDir()
	var console bytes.Buffer
	log, closeFn, err := New(Options{Dir: dir, Console: &console, Level: "info"})
	require.NoError(t, err)
	huge := strings.Repeat("A", 50<<20)
	log.Error().Str("value", huge).Msg("call failed")
	log.Info().Msg("after")
	require.NoError(t, closeFn())

	data, err := os.ReadFile(filepath.Join(dir, FileName))
	require.NoError(t, err)
	require.Less(t, len(data), 8<<10, "a 50 MB field must not reach the log")
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	require.Equal(t, "error", rec["level"])
	require.Equal(t, "log line cut: too long", rec["message"])
	require.Greater(t, rec["bytes"], float64(50<<20))
	require.Less(t, console.Len(), 8<<10)
}

func TestLogRotates(t *testing.T) {
	dir := t.TempDir()
	log, closeFn, err := New(Options{Dir: dir, Level: "info"})
	require.NoError(t, err)
	line := strings.Repeat("x", 60<<10)
	for i := 0; i < (MaxFileMB<<20)/len(line)+20; i++ {
		log.Info().Str("v", line).Msg("fill")
	}
	require.NoError(t, closeFn())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(entries), 2, "the full log file was rotated aside")
	st, err := os.Stat(filepath.Join(dir, FileName))
	require.NoError(t, err)
	require.LessOrEqual(t, st.Size(), int64(MaxFileMB<<20))
}
