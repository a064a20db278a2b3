package cli

import (
	"context"
	"flag"
	"fmt"
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

// workspaceFlag registers the --workspace flag shared by commands that use one.
func workspaceFlag(fs *flag.FlagSet) *string {
	return fs.String("workspace", "", "workspace folder (default $WHETSTONE_HOME or ~/.local/share/whetstone)")
}
