// Package accel chooses the GoMLX compute backend Whetstone runs on.
//
// The pure-Go backend (github.com/gomlx/compute/gobackend) is always compiled
// in and is the default: it needs no native libraries and never downloads
// anything. XLA (CPU/GPU through a PJRT plugin) is used only when asked for
// explicitly, with a plugin path in the options or GOMLX_BACKEND=xla:..., and
// only if this binary was built with an XLA backend registered. We never call
// compute.New(): it defaults to XLA, returns an error rather than falling
// back, and a broken plugin on the search path can crash it.
//
// This build registers only the Go backend. XLA lives in the
// github.com/gomlx/go-xla module, which this module does not depend on yet
// (GoMLX's default backends package pulls in its auto-installer, which
// downloads). Wiring it is a follow-up: importing its backend package for
// side effects registers "xla", and Open then selects it for an explicit
// plugin path or GOMLX_BACKEND=xla:... without changes here.
package accel

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers the "go" backend
)

// EnvVar is the environment variable GoMLX itself reads: "go", "xla:cuda",
// "xla:/abs/path/pjrt_c_api_cuda_plugin.so".
const EnvVar = compute.ConfigEnvVar

// Options selects a backend. The zero value means "pure Go unless the
// environment asks for something else".
type Options struct {
	// Backend is "", "go" or "xla". Empty means: GOMLX_BACKEND if set, XLA if
	// PluginPath is set, else Go.
	Backend string
	// PluginPath is the absolute path of a PJRT plugin (.so) for XLA.
	PluginPath string
	// Getenv reads the environment; nil means os.Getenv. Tests inject it.
	Getenv func(string) string
}

// Info says which backend is in use and why, for logs and the UI.
type Info struct {
	Name        string // "go" or "xla"
	Config      string // the full GoMLX configuration string used
	Description string // the backend's own description
	Reason      string // why this backend was chosen
}

// String renders the choice for a log line.
func (i Info) String() string {
	return fmt.Sprintf("%s (%s; %s)", i.Name, i.Description, i.Reason)
}

// Available lists the backends compiled into this binary.
func Available() []string {
	names := compute.List()
	slices.Sort(names)
	return names
}

// Open creates the backend described by opts. It never panics: GoMLX
// constructor panics are returned as errors.
func Open(opts Options) (compute.Backend, Info, error) {
	config, reason, err := resolve(opts)
	if err != nil {
		return nil, Info{}, err
	}
	name, _, _ := strings.Cut(config, ":")
	if !slices.Contains(compute.List(), name) {
		return nil, Info{}, fmt.Errorf("accel: backend %q (%s) is not compiled into this binary; available: %s",
			name, reason, strings.Join(Available(), ", "))
	}
	b, err := construct(config)
	if err != nil {
		return nil, Info{}, fmt.Errorf("accel: starting backend %q (%s): %w", config, reason, err)
	}
	return b, Info{Name: name, Config: config, Description: b.Description(), Reason: reason}, nil
}

func resolve(opts Options) (config, reason string, err error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch opts.Backend {
	case "go":
		return "go", "requested", nil
	case "xla":
		if opts.PluginPath == "" {
			return "", "", fmt.Errorf("accel: backend xla needs a PJRT plugin path")
		}
		return xlaConfig(opts.PluginPath, "plugin path from settings")
	case "":
	default:
		return "", "", fmt.Errorf("accel: unknown backend %q (want go or xla)", opts.Backend)
	}
	if env := strings.TrimSpace(getenv(EnvVar)); env != "" {
		name, rest, _ := strings.Cut(env, ":")
		if name == "xla" && strings.HasPrefix(rest, "/") {
			return xlaConfig(rest, EnvVar+"="+env)
		}
		return env, EnvVar + "=" + env, nil
	}
	if opts.PluginPath != "" {
		return xlaConfig(opts.PluginPath, "plugin path from settings")
	}
	return "go", "default: no PJRT plugin configured", nil
}

// xlaConfig checks that the plugin file exists and is a regular file before
// handing it to XLA, which crashes on bad plugin files instead of failing.
func xlaConfig(path, reason string) (string, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", "", fmt.Errorf("accel: PJRT plugin (%s): %w", reason, err)
	}
	if !st.Mode().IsRegular() || !strings.HasSuffix(path, ".so") {
		return "", "", fmt.Errorf("accel: PJRT plugin %s (%s) is not a .so file", path, reason)
	}
	return "xla:" + path, reason, nil
}

func construct(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return compute.NewWithConfig(config)
}
