package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/workspace"
)

func TestSettingsCommand(t *testing.T) {
	ws := t.TempDir()
	data := t.TempDir()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		err := Run(context.Background(), env, append([]string{"settings", "--workspace", ws}, args...))
		return out.String(), err
	}
	out, err := run("allow", data)
	require.NoError(t, err)
	assert.Contains(t, out, data)
	out, err = run("set", "hub_token=hf_hidden", "theme=dark")
	require.NoError(t, err)
	assert.NotContains(t, out, "hf_hidden")
	assert.Contains(t, out, "set (hidden)")

	w, err := workspace.Open(ws)
	require.NoError(t, err)
	s, err := w.LoadSettings()
	require.NoError(t, err)
	assert.Equal(t, []string{data}, s.AllowedFolders)
	assert.Equal(t, "hf_hidden", s.HubToken)
	assert.Equal(t, "dark", s.Theme)

	_, err = run("disallow", filepath.Join(data, "."))
	require.NoError(t, err)
	s, err = w.LoadSettings()
	require.NoError(t, err)
	assert.Empty(t, s.AllowedFolders)

	_, err = run("set", "colour=blue")
	require.ErrorIs(t, err, ErrUsage)
	_, err = run("allow", "/")
	require.ErrorContains(t, err, "whole file system")
	_, err = run("set", "theme=neon")
	require.ErrorContains(t, err, "theme")
}
