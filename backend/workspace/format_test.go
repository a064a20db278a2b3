package workspace

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A settings.json from format 1 (no "format" field) loads as it is and
// stays byte-identical until the settings are saved; saving adds the
// format and keeps every value.
func TestSettingsFormatOneLoadsAndIsUpgradedOnlyWhenSaved(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	models := filepath.Join(t.TempDir(), "models")
	quoted, err := json.Marshal(models)
	require.NoError(t, err)
	old := []byte(`{
  "backend": "go",
  "xla_plugin_path": "",
  "hub_token": "hf_old",
  "theme": "dark",
  "allowed_folders": [` + string(quoted) + `]
}
`)
	require.NoError(t, os.WriteFile(w.SettingsPath(), old, 0o600))

	s, err := w.LoadSettings()
	require.NoError(t, err)
	require.Equal(t, Settings{Backend: "go", HubToken: "hf_old", Theme: "dark", AllowedFolders: []string{models}}, s)
	data, err := os.ReadFile(w.SettingsPath())
	require.NoError(t, err)
	require.Equal(t, old, data, "loading rewrote settings.json")

	require.NoError(t, w.SaveSettings(s))
	data, err = os.ReadFile(w.SettingsPath())
	require.NoError(t, err)
	var onDisk map[string]any
	require.NoError(t, json.Unmarshal(data, &onDisk))
	require.EqualValues(t, SettingsFormat, onDisk["format"])
	got, err := w.LoadSettings()
	require.NoError(t, err)
	require.Equal(t, s, got)
}

// A settings.json from a newer Whetstone is refused by name and format,
// by Load and by Save, and is left byte-identical (its mode too).
func TestSettingsFormatNewerIsRefusedAndLeftUnchanged(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	newer := []byte(`{"format": 3, "backend": "npu", "theme": "dark", "new_thing": [1, 2]}` + "\n")
	require.NoError(t, os.WriteFile(w.SettingsPath(), newer, 0o644))
	before, err := os.Stat(w.SettingsPath())
	require.NoError(t, err)

	s, err := w.LoadSettings()
	var fe *NewerFormatError
	require.True(t, errors.As(err, &fe), "%v", err)
	require.Equal(t, NewerFormatError{Path: w.SettingsPath(), Format: 3, Known: SettingsFormat}, *fe)
	require.ErrorContains(t, err, w.SettingsPath()+" has format 3")
	require.ErrorContains(t, err, "format 2")
	require.Equal(t, DefaultSettings(), s)

	require.ErrorContains(t, w.SaveSettings(DefaultSettings()), "has format 3")

	data, err := os.ReadFile(w.SettingsPath())
	require.NoError(t, err)
	require.Equal(t, newer, data)
	st, err := os.Stat(w.SettingsPath())
	require.NoError(t, err)
	require.Equal(t, before.Mode(), st.Mode(), "a refused file was chmodded")
}

func TestSettingsFormatMustBeANumber(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(w.SettingsPath(), []byte(`{"format": "2"}`), 0o600))
	_, err = w.LoadSettings()
	require.ErrorContains(t, err, "settings.json")
}
