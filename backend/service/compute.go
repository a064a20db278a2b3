package service

import (
	"sync"

	"github.com/gomlx/compute"

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// computeBackend is the GoMLX backend training and chat run on, chosen from
// the settings (GOMLX_BACKEND, when set, wins: it is what a user typed for
// this launch). A backend that fails to start (a broken plugin, XLA not
// compiled in) falls back to pure Go, and System.Info says why, so the app
// always starts.
//
// It is opened when first needed (a run, a chat, System.Info), so a
// terminal command that only tokenizes or exports never loads a plugin.
type computeBackend struct {
	deps Deps

	once    sync.Once
	backend compute.Backend
	info    accel.Info
	err     error
}

func newCompute(d Deps) *computeBackend { return &computeBackend{deps: d} }

// open returns the backend, opening it on the first call.
func (c *computeBackend) open() (*computeBackend, error) {
	c.once.Do(func() { c.backend, c.info, c.err = openCompute(c.deps) })
	return c, c.err
}

func openCompute(d Deps) (compute.Backend, accel.Info, error) {
	settings, err := d.Workspace.LoadSettings()
	if err != nil {
		d.Log.Warn().Err(err).Msg("settings unreadable; using the default compute backend")
	}
	opts := accel.Options{Backend: settings.Backend, PluginPath: settings.XLAPluginPath, Getenv: d.Getenv}
	if d.Getenv(accel.EnvVar) != "" {
		opts = accel.Options{Getenv: d.Getenv}
	}
	b, info, err := accel.Open(opts)
	if err != nil {
		d.Log.Warn().Err(err).Msg("compute backend unavailable; falling back to pure Go")
		var ferr error
		b, info, ferr = accel.Open(accel.Options{Backend: "go", Getenv: d.Getenv})
		if ferr != nil {
			return nil, accel.Info{}, ferr
		}
		info.Reason = "fallback: " + err.Error()
	}
	d.Log.Info().Str("backend", info.String()).Msg("compute backend")
	return b, info, nil
}
