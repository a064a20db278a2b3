package service

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/pathpolicy"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// newRemoteServices builds the services as `whetstone serve` does: every
// path a request names is held to the path policy.
func newRemoteServices(t *testing.T, allowed ...string) (*Services, *events.Recorder, *workspace.Workspace) {
	t.Helper()
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	rec := &events.Recorder{}
	cache := t.TempDir()
	getenv := func(k string) string {
		if k == "HF_HUB_CACHE" {
			return cache
		}
		if k == "HF_HUB_OFFLINE" {
			return "1"
		}
		return ""
	}
	s, err := New(Deps{Workspace: ws, Events: rec, Log: zerolog.Nop(), Version: "test", Getenv: getenv, Remote: true, AllowedRoots: allowed})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s, rec, ws
}

func TestRemoteRequestsStayInsideTheAllowedFolders(t *testing.T) {
	outside := shareGPTFile(t, 5) // a temporary folder the policy does not list
	s, _, ws := newRemoteServices(t)

	_, err := s.Datasets.Inspect(DatasetRequest{Path: outside})
	require.ErrorIs(t, err, pathpolicy.ErrOutside)
	assert.Contains(t, err.Error(), "Allowed folders")
	_, err = s.Datasets.Inspect(DatasetRequest{Path: "/etc/passwd"})
	require.ErrorIs(t, err, pathpolicy.ErrOutside)
	_, err = s.Datasets.Stats(DatasetRequest{Path: "/usr"})
	require.ErrorIs(t, err, pathpolicy.ErrOutside, "a folder outside is not walked")
	_, err = s.Models.Inspect("/etc")
	require.ErrorIs(t, err, pathpolicy.ErrOutside)
	_, err = s.Chat.Generate(ChatRequest{Model: "/etc", Messages: []ChatMessage{{Role: "user", Content: "hi"}}})
	require.ErrorIs(t, err, pathpolicy.ErrOutside)
	_, err = s.Export.Start(ExportRequest{Model: tinyModelDir(t), Format: "merged"})
	require.ErrorIs(t, err, pathpolicy.ErrOutside)

	// The same file inside the workspace is served.
	inside := filepath.Join(ws.Root, "datasets", "chats.jsonl")
	require.NoError(t, os.MkdirAll(filepath.Dir(inside), 0o755))
	data, err := os.ReadFile(outside)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inside, data, 0o644))
	info, err := s.Datasets.Inspect(DatasetRequest{Path: inside})
	require.NoError(t, err)
	assert.Equal(t, "sharegpt", string(info.Detection.Mapping.Format))

	// A folder given to serve --allow is served too.
	s2, _, _ := newRemoteServices(t, filepath.Dir(outside))
	_, err = s2.Datasets.Inspect(DatasetRequest{Path: outside})
	require.NoError(t, err)
}

func TestRemoteRunAndExportNeverReplaceAStrangersFolder(t *testing.T) {
	s, _, ws := newRemoteServices(t)
	model := filepath.Join(ws.Root, "models", "tiny")
	copyDir(t, tinyModelDir(t), model)
	tokenizertest.ByteLevel(t, model)
	data := filepath.Join(ws.Root, "chats.jsonl")
	raw, err := os.ReadFile(shareGPTFile(t, 10))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(data, raw, 0o644))

	mine := filepath.Join(ws.Root, "my-photos")
	require.NoError(t, os.MkdirAll(mine, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(mine, "cat.jpg"), []byte("precious"), 0o644))

	_, err = s.Export.Start(ExportRequest{Model: model, Format: "merged", Quant: "f32", Out: mine, Overwrite: true})
	require.ErrorIs(t, err, safefile.ErrNotOwned)

	cfg, err := s.Runs.Defaults("gemma3")
	require.NoError(t, err)
	cfg.Model.Source, cfg.Dataset.Path, cfg.Output = model, data, mine
	_, err = s.Runs.Start(cfg)
	require.ErrorIs(t, err, safefile.ErrNotOwned)
	list, err := s.Runs.List()
	require.NoError(t, err)
	assert.Empty(t, list, "no run is queued for a refused output")
	cfg.Output = "/tmp/elsewhere"
	_, err = s.Runs.Start(cfg)
	require.ErrorIs(t, err, pathpolicy.ErrOutside)

	got, err := os.ReadFile(filepath.Join(mine, "cat.jpg"))
	require.NoError(t, err)
	assert.Equal(t, "precious", string(got))
	entries, err := os.ReadDir(mine)
	require.NoError(t, err)
	assert.Len(t, entries, 1)

	// An earlier export of ours is replaced, with leave.
	out := filepath.Join(ws.ExportsDir(), "merged")
	_, err = s.Export.Start(ExportRequest{Model: model, Format: "merged", Quant: "f32", Out: out})
	require.NoError(t, err)
	_, err = s.Export.Start(ExportRequest{Model: model, Format: "merged", Quant: "f32", Out: out})
	require.ErrorIs(t, err, safefile.ErrExists)
	_, err = s.Export.Start(ExportRequest{Model: model, Format: "merged", Quant: "f32", Out: out, Overwrite: true})
	require.NoError(t, err)
}

func TestRemoteSettingsKeepSecretsAndCodePaths(t *testing.T) {
	s, rec, ws := newRemoteServices(t)
	_, err := s.Settings.Save(SettingsUpdate{Backend: "go", Theme: "dark", HubToken: "hf_SECRET_value"})
	require.NoError(t, err)

	got, err := s.Settings.Get()
	require.NoError(t, err)
	assert.True(t, got.HasToken)
	assert.True(t, got.LocalOnly)
	body, err := json.Marshal(got)
	require.NoError(t, err)
	assert.NotContains(t, string(body), "hf_SECRET_value")
	for _, e := range rec.Events() {
		b, err := json.Marshal(e.Payload)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "hf_SECRET_value", e.Topic)
	}
	st, err := os.Stat(ws.SettingsPath())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// A save that leaves the token out keeps it; clearing is explicit.
	_, err = s.Settings.Save(SettingsUpdate{Backend: "go", Theme: "light"})
	require.NoError(t, err)
	saved, err := ws.LoadSettings()
	require.NoError(t, err)
	assert.Equal(t, "hf_SECRET_value", saved.HubToken)

	plugin := filepath.Join(t.TempDir(), "evil.so")
	require.NoError(t, os.WriteFile(plugin, []byte("x"), 0o644))
	_, err = s.Settings.Save(SettingsUpdate{Backend: "xla", Theme: "light", XLAPluginPath: plugin})
	require.ErrorContains(t, err, "desktop window")
	_, err = s.Settings.Save(SettingsUpdate{Backend: "go", Theme: "light", AllowedFolders: []string{"/home"}})
	require.ErrorContains(t, err, "desktop window")
	saved, err = ws.LoadSettings()
	require.NoError(t, err)
	assert.Empty(t, saved.XLAPluginPath)
	assert.Empty(t, saved.AllowedFolders)

	_, err = s.Settings.Save(SettingsUpdate{Backend: "go", Theme: "light", ClearHubToken: true})
	require.NoError(t, err)
	got, err = s.Settings.Get()
	require.NoError(t, err)
	assert.False(t, got.HasToken)
}

func TestLocalSettingsMayChangeAllowedFolders(t *testing.T) {
	s, _ := newServices(t)
	dir := t.TempDir()
	got, err := s.Settings.Save(SettingsUpdate{Backend: "go", Theme: "system", AllowedFolders: []string{dir}})
	require.NoError(t, err)
	assert.Equal(t, []string{dir}, got.AllowedFolders)
	assert.False(t, got.LocalOnly)
}

func TestScopedCallsStopWhenTheCallerGoesAway(t *testing.T) {
	s, _ := newServices(t)
	data := shareGPTFile(t, 50)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	scoped := s.Scoped(ctx)["Datasets"].(*Datasets)
	_, err := scoped.Stats(DatasetRequest{Path: data})
	require.ErrorIs(t, err, context.Canceled)
	// The unscoped service, and the shared state, are unaffected.
	_, err = s.Datasets.Stats(DatasetRequest{Path: data})
	require.NoError(t, err)
	assert.Same(t, s.Chat.streams, s.Scoped(ctx)["Chat"].(*Chat).streams)
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644))
	}
}
