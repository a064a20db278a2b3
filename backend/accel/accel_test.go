package accel

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultIsGo(t *testing.T) {
	b, info, err := Open(Options{Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if info.Name != "go" || !strings.Contains(info.Reason, "default") {
		t.Errorf("info = %+v", info)
	}
}

func TestEnvSelectsGo(t *testing.T) {
	b, info, err := Open(Options{Getenv: env(map[string]string{EnvVar: "go"})})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if info.Name != "go" || !strings.Contains(info.Reason, EnvVar) {
		t.Errorf("info = %+v", info)
	}
}

// A GOMLX_BACKEND naming a backend that is not compiled in must be an error,
// not the panic compute.NewWithConfig raises.
func TestUnknownBackendIsAnError(t *testing.T) {
	// Without -tags xla the backend is missing; with it, no "cuda" plugin
	// can be found here. Either way: an error, never a panic.
	_, _, err := Open(Options{Getenv: env(map[string]string{EnvVar: "xla:cuda"})})
	if err == nil || !(strings.Contains(err.Error(), "not compiled") || strings.Contains(err.Error(), "no plugins found")) {
		t.Errorf("err = %v", err)
	}
	if _, _, err := Open(Options{Backend: "tpu"}); err == nil {
		t.Error("unknown backend name accepted")
	}
}

// A bad plugin path is rejected before XLA sees it (XLA crashes on it).
func TestBadPluginPath(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Open(Options{PluginPath: filepath.Join(dir, "missing.so"), Getenv: env(nil)}); err == nil {
		t.Error("missing plugin accepted")
	}
	txt := filepath.Join(dir, "plugin.txt")
	if err := os.WriteFile(txt, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(Options{Backend: "xla", PluginPath: txt}); err == nil {
		t.Error("non-.so plugin accepted")
	}
	so := filepath.Join(dir, "pjrt.so")
	if err := os.WriteFile(so, []byte("not elf"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A .so that is no plugin: "not compiled in" without -tags xla, and
	// XLA's own load error (not a crash) with it.
	_, _, err := Open(Options{Backend: "xla", PluginPath: so})
	if err == nil || !(strings.Contains(err.Error(), "not compiled") || strings.Contains(err.Error(), "failed to load PJRT plugin")) {
		t.Errorf("err = %v", err)
	}
}

// The Go backend gets as many executors as cores (2 to 8) unless the
// configuration sets its own.
func TestGoExecutors(t *testing.T) {
	want := fmt.Sprintf("num_executors=%d", min(max(runtime.GOMAXPROCS(0), 2), 8))
	for _, tc := range []struct{ env, want string }{
		{"", "go:" + want},
		{"go", "go:" + want},
		{"go:ops_parallel", "go:ops_parallel," + want},
		{"go:num_executors=5", "go:num_executors=5"},
	} {
		b, info, err := Open(Options{Getenv: env(map[string]string{EnvVar: tc.env})})
		if err != nil {
			t.Fatal(err)
		}
		b.Finalize()
		if info.Config != tc.want {
			t.Errorf("GOMLX_BACKEND=%q: config %q, want %q", tc.env, info.Config, tc.want)
		}
	}
}

// Backend "xla" without a plugin path takes the plugin GOMLX_BACKEND names
// (`whetstone bench --backend xla`), and says where to name one otherwise.
func TestXLABackendTakesThePluginFromTheEnvironment(t *testing.T) {
	if xlaUnavailable != "" {
		t.Skip(xlaUnavailable)
	}
	if _, _, err := Open(Options{Backend: "xla", Getenv: env(nil)}); err == nil || !strings.Contains(err.Error(), EnvVar+"=xla:/abs/path") {
		t.Errorf("no plugin anywhere: err = %v", err)
	}
	so := filepath.Join(t.TempDir(), "pjrt.so")
	if err := os.WriteFile(so, []byte("not elf"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(Options{Backend: "xla", Getenv: env(map[string]string{EnvVar: "xla:" + so})})
	if err == nil || !(strings.Contains(err.Error(), "not compiled") || strings.Contains(err.Error(), "failed to load PJRT plugin")) {
		t.Errorf("plugin from %s: err = %v", EnvVar, err)
	}
	if _, _, err := Open(Options{Backend: "xla", Getenv: env(map[string]string{EnvVar: "xla:/no/such/plugin.so"})}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing plugin from %s: err = %v", EnvVar, err)
	}
}
