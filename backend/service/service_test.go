package service

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

func newServices(t *testing.T) (*Services, *events.Recorder) {
	t.Helper()
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	rec := &events.Recorder{}
	s, err := New(Deps{Workspace: ws, Events: rec, Log: zerolog.Nop(), Version: "test"})
	require.NoError(t, err)
	return s, rec
}

func TestGuardTurnsPanicIntoError(t *testing.T) {
	f := func() (err error) {
		defer guard(zerolog.Nop(), "Op", &err)
		var m map[string]int
		m["x"] = 1 // panics: assignment to nil map
		return nil
	}
	err := f()
	require.Error(t, err)
	require.Contains(t, err.Error(), "Op failed unexpectedly")
	require.False(t, errors.Is(err, nil))
}

func TestSettingsSaveValidatesAndEmits(t *testing.T) {
	s, rec := newServices(t)
	got, err := s.Settings.Get()
	require.NoError(t, err)
	require.Equal(t, "go", got.Backend)

	upd := SettingsUpdate{Backend: got.Backend, Theme: "bogus"}
	_, err = s.Settings.Save(upd)
	require.ErrorContains(t, err, `theme "bogus"`)
	require.Empty(t, rec.Events())

	upd.Theme = "dark"
	_, err = s.Settings.Save(upd)
	require.NoError(t, err)
	require.Equal(t, "settings.changed", rec.Events()[0].Topic)

	info, err := s.System.Info()
	require.NoError(t, err)
	require.Equal(t, "test", info.Version)
	require.Contains(t, info.Backend, "go")
}

func TestNamedMatchesBind(t *testing.T) {
	s, _ := newServices(t)
	require.Len(t, s.Bind(), len(s.Named()))
	for name, v := range s.Named() {
		require.NotNil(t, v, name)
	}
}

// A compute backend that cannot start (here: XLA with a plugin that is not
// there) must not stop the app: it falls back to pure Go and says why.
func TestBrokenBackendSettingFallsBackToGo(t *testing.T) {
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(ws.SettingsPath(), []byte(`{"backend":"xla","xla_plugin_path":"/nonexistent/pjrt_c_api_cuda_plugin.so","theme":"dark"}`), 0o644))
	s, err := New(Deps{Workspace: ws, Log: zerolog.Nop(), Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	defer s.Close()
	info, err := s.System.Info()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(info.Backend, "go ("), info.Backend)
	require.Contains(t, info.BackendReason, "fallback")
	require.Contains(t, info.BackendReason, "pjrt_c_api_cuda_plugin.so")
}
