package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/frontend"
)

// EnvToken supplies serve's access token.
const EnvToken = "WHETSTONE_TOKEN"

func serveCommand() Command {
	return Command{
		Name:    "serve",
		Summary: "serve the UI and API over HTTP for a browser (headless machines)",
		Run:     runServe,
	}
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "serve", "[--addr HOST:PORT] [--token TOKEN] [--workspace DIR]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; a non-loopback address requires an access token")
	token := fs.String("token", "", "access token required on every request (default $"+EnvToken+"; generated when binding a non-loopback address)")
	ws := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *token == "" {
		*token = env.getenv()(EnvToken)
	}
	if *token == "" && !httpapi.IsLoopback(*addr) {
		t, err := httpapi.NewToken()
		if err != nil {
			return err
		}
		*token = t
	}
	hub := httpapi.NewHub()
	sess, err := OpenSession(ctx, env, *ws, hub)
	if err != nil {
		return err
	}
	defer sess.Close()
	assets, err := frontend.Assets()
	if err != nil {
		// Still useful: the API and events work, e.g. for scripts and tests.
		sess.Log.Warn().Err(err).Msg("serving the API only")
		assets = nil
	}
	srv, err := httpapi.New(httpapi.Options{
		Services: sess.Services.Named(), Assets: assets, Token: *token, Hub: hub, Log: sess.Log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	url := "http://" + ln.Addr().String() + "/"
	if *token != "" {
		url += "?token=" + *token
	}
	fmt.Fprintf(env.Stdout, "Whetstone is serving at %s\n", url)
	sess.Log.Info().Str("addr", ln.Addr().String()).Bool("token", *token != "").Str("workspace", sess.Workspace.Root).Msg("serving")

	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		// Event streams never go idle, so a graceful shutdown is given a
		// moment and then the remaining connections are closed.
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("shut down server: %w", err)
		}
		hs.Close()
		return nil
	}
}
