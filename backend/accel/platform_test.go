package accel

import (
	"strings"
	"testing"
)

// Where XLA cannot run (Windows), asking for it says so, whatever the plugin
// path, instead of reporting a missing plugin or backend.
func TestXLAUnavailableSaysWhy(t *testing.T) {
	if xlaUnavailable == "" {
		t.Skip("XLA can run on this OS")
	}
	for _, opts := range []Options{
		{Backend: "xla", PluginPath: `C:\plugins\pjrt_c_api_cpu_plugin.so`},
		{Backend: "xla"},
		{Getenv: env(map[string]string{EnvVar: "xla:cuda"})},
	} {
		if opts.Getenv == nil {
			opts.Getenv = env(nil)
		}
		_, _, err := Open(opts)
		if err == nil || !strings.Contains(err.Error(), "XLA is unavailable on Windows") {
			t.Errorf("Open(%+v) = %v", opts, err)
		}
	}
}
