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
