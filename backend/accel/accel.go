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
// A plain build registers only the Go backend; building with -tags xla adds
// GoMLX's XLA backend (xla.go), without go-xla's auto-installer, which
// downloads plugins.
package accel

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
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

// String renders the choice for a log line: name, description, the
// configuration's options and the reason.
func (i Info) String() string {
	opts := ""
	if _, o, ok := strings.Cut(i.Config, ":"); ok && i.Name == "go" {
		opts = ", " + o
	}
	return fmt.Sprintf("%s (%s%s; %s)", i.Name, i.Description, opts, i.Reason)
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
	if xlaUnavailable != "" && (opts.Backend == "xla" || strings.HasPrefix(config, "xla")) {
		return nil, Info{}, fmt.Errorf("accel: %s", xlaUnavailable)
	}
	if err != nil {
		return nil, Info{}, err
	}
	name, _, _ := strings.Cut(config, ":")
	if !slices.Contains(compute.List(), name) {
		return nil, Info{}, fmt.Errorf("accel: backend %q (%s) is not compiled into this binary; available: %s",
			name, reason, strings.Join(Available(), ", "))
	}
	config = withExecutors(config)
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
			// `bench --backend xla` with the plugin named in the environment.
			if env := strings.TrimSpace(getenv(EnvVar)); strings.HasPrefix(env, "xla:") {
				if rest := env[len("xla:"):]; strings.HasPrefix(rest, "/") {
					return xlaConfig(rest, EnvVar+"="+env)
				}
				return env, EnvVar + "=" + env, nil
			}
			return "", "", fmt.Errorf("accel: backend xla needs a PJRT plugin path (Settings, or %s=xla:/abs/path/plugin.so)", EnvVar)
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

// withExecutors adds num_executors to a Go backend configuration that does
// not set it: as many executors as Go may run threads, between 2 and 8.
//
// The Go backend runs independent graph nodes on up to 8 executor
// goroutines, each holding a slot of the worker pool (2×GOMAXPROCS slots)
// that GEMMs and other kernels split their work over. On a 2-core machine
// its executors took the slots the kernels needed: training used 1.2 of 2
// cores. With 2 executors it uses 1.8, and the 5m benchmark went from
// ~4,300 to ~5,700-6,600 tokens/s, 30m from ~850 to ~1,290.
func withExecutors(config string) string {
	name, opts, _ := strings.Cut(config, ":")
	if name != "go" || strings.Contains(opts, "num_executors") {
		return config
	}
	n := min(max(runtime.GOMAXPROCS(0), 2), 8)
	if opts != "" {
		opts += ","
	}
	return "go:" + opts + "num_executors=" + strconv.Itoa(n)
}
