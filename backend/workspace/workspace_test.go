package workspace

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolveOrder(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	p, err := Resolve("/tmp/flag", get)
	require.NoError(t, err)
	require.Equal(t, "/tmp/flag", p)
	env[EnvHome] = "/tmp/env"
	p, err = Resolve("", get)
	require.NoError(t, err)
	require.Equal(t, "/tmp/env", p)
	delete(env, EnvHome)
	env["XDG_DATA_HOME"] = "/tmp/xdg"
	p, err = Resolve("", get)
	require.NoError(t, err)
	require.Equal(t, "/tmp/xdg/whetstone", p)
}

func TestSettingsRoundTripAndValidation(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	s, err := w.LoadSettings()
	require.NoError(t, err)
	require.Equal(t, DefaultSettings(), s)

	s.Theme = "dark"
	s.HubToken = "hf_x"
	require.NoError(t, w.SaveSettings(s))
	got, err := w.LoadSettings()
	require.NoError(t, err)
	require.Equal(t, s, got)

	bad := s
	bad.Backend = "tpu"
	require.ErrorContains(t, w.SaveSettings(bad), `backend "tpu"`)
	bad = s
	bad.Backend, bad.XLAPluginPath = "xla", filepath.Join(t.TempDir(), "missing.so")
	require.ErrorContains(t, w.SaveSettings(bad), "xla_plugin_path")

	require.NoError(t, os.WriteFile(w.SettingsPath(), []byte("{"), 0o644))
	_, err = w.LoadSettings()
	require.ErrorContains(t, err, "settings.json")
}

func TestSettingsFileIsPrivate(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	s := DefaultSettings()
	s.HubToken = "hf_secret"
	s.AllowedFolders = []string{"/data/models/"}
	require.NoError(t, w.SaveSettings(s))
	st, err := os.Stat(w.SettingsPath())
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	got, err := w.LoadSettings()
	require.NoError(t, err)
	require.Equal(t, []string{"/data/models"}, got.AllowedFolders)

	// A file left readable by others is tightened when read.
	require.NoError(t, os.Chmod(w.SettingsPath(), 0o644))
	_, err = w.LoadSettings()
	require.NoError(t, err)
	st, err = os.Stat(w.SettingsPath())
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestAllowedFoldersValidation(t *testing.T) {
	s := DefaultSettings()
	s.AllowedFolders = []string{"relative/dir"}
	require.ErrorContains(t, s.Validate(), "not an absolute path")
	s.AllowedFolders = []string{"/"}
	require.ErrorContains(t, s.Validate(), "whole file system")
	s.AllowedFolders = []string{filepath.Join(t.TempDir(), "x")}
	require.NoError(t, s.Validate())
}
