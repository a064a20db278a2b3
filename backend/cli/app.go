package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/logging"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// Session is an opened workspace with its logger and services: what the
// desktop window and `serve` both run on.
type Session struct {
	Workspace *workspace.Workspace
	Log       zerolog.Logger
	Services  *service.Services
	close     func() error
}

// Close stops the services and closes the log file.
func (s *Session) Close() error {
	s.Services.Close()
	return s.close()
}

// OpenSession resolves and opens the workspace, starts logging to its logs
// folder and to stderr, and builds the services emitting to em.
func OpenSession(ctx context.Context, env *Env, workspaceFlag string, em events.Emitter, opts ...SessionOption) (*Session, error) {
	root, err := workspace.Resolve(workspaceFlag, env.getenv())
	if err != nil {
		return nil, err
	}
	ws, err := workspace.Open(root)
	if err != nil {
		return nil, err
	}
	pretty := false
	if f, ok := env.Stderr.(*os.File); ok {
		pretty = logging.IsTerminal(f)
	}
	log, closeLog, err := logging.New(logging.Options{
		Dir: ws.LogsDir(), Console: env.Stderr, Pretty: pretty, Level: env.Getenv("WHETSTONE_LOG_LEVEL"),
	})
	if err != nil {
		return nil, err
	}
	deps := service.Deps{Workspace: ws, Events: em, Log: log, Version: env.Version, Context: ctx}
	for _, o := range opts {
		o(&deps)
	}
	svc, err := service.New(deps)
	if err != nil {
		closeLog()
		return nil, fmt.Errorf("start services: %w", err)
	}
	return &Session{Workspace: ws, Log: log, Services: svc, close: closeLog}, nil
}

// SessionOption adjusts the services a session builds.
type SessionOption func(*service.Deps)

// Remote builds services that answer requests over HTTP: every path a
// request names is held to the path policy (the workspace, the Hugging
// Face cache, the allowed folders in the settings, and allowed here), and
// the settings that load code or widen reach are read-only.
func Remote(allowed []string) SessionOption {
	return func(d *service.Deps) {
		d.Remote = true
		d.AllowedRoots = allowed
	}
}

// terminal is the services as a terminal command uses them: over the
// workspace, running only the runs the command starts or resumes (see
// service.Deps.OwnRunsOnly), reporting to the terminal through termEvents.
type terminal struct {
	svc *service.Services
	ws  *workspace.Workspace
	out *termEvents
}

// Close stops the services: a run still going is paused with a checkpoint.
func (t *terminal) Close() { t.svc.Close() }

// termOptions adjust openTerminal.
type termOptions struct {
	// workspace is the --workspace flag ("" for $WHETSTONE_HOME or the
	// default).
	workspace string
	// create makes the workspace's folders (train, runs, demo). Without
	// it only the workspace's location is used, so a command that exports
	// from a model folder or tokenizes creates nothing as a side effect.
	create bool
	// getenv replaces the environment the services read (download's
	// --cache-dir and --offline are its variables).
	getenv func(string) string
	// also receives every event as well (tests).
	also events.Emitter
}

// openTerminal builds the services for one terminal command. Their logs go
// to stderr from warnings up ($WHETSTONE_LOG_LEVEL lowers that); what the
// command prints comes from its results and the services' events.
func openTerminal(ctx context.Context, env *Env, o termOptions) (*terminal, error) {
	getenv := o.getenv
	if getenv == nil {
		getenv = env.getenv()
	}
	root, err := workspace.Resolve(o.workspace, getenv)
	if err != nil {
		return nil, err
	}
	ws := &workspace.Workspace{Root: root}
	if o.create {
		if ws, err = workspace.Open(root); err != nil {
			return nil, err
		}
	}
	level := getenv("WHETSTONE_LOG_LEVEL")
	if level == "" {
		level = "warn"
	}
	log, _, err := logging.New(logging.Options{Console: env.Stderr, Pretty: isTerminal(env.Stderr), Level: level})
	if err != nil {
		return nil, err
	}
	out := newTermEvents(env)
	var em events.Emitter = out
	if o.also != nil {
		em = events.Func(func(topic string, payload any) {
			out.Emit(topic, payload)
			o.also.Emit(topic, payload)
		})
	}
	svc, err := service.New(service.Deps{Workspace: ws, Events: em, Log: log, Version: env.Version, Context: ctx, Getenv: getenv, OwnRunsOnly: true})
	if err != nil {
		return nil, fmt.Errorf("start services: %w", err)
	}
	return &terminal{svc: svc, ws: ws, out: out}, nil
}

// isTerminal reports whether w is a terminal (progress is then redrawn in
// place).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && logging.IsTerminal(f)
}

// usage turns an invalid request, as the services mark it, into a usage
// error (exit code 2).
func usage(err error) error {
	if errors.Is(err, service.ErrInvalidRequest) {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return err
}

// workspaceFlag registers the --workspace flag shared by commands that use one.
func workspaceFlag(fs *flag.FlagSet) *string {
	return fs.String("workspace", "", "workspace folder (default $WHETSTONE_HOME or ~/.local/share/whetstone)")
}
