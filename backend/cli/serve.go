package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
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
	urls := serveURLs(ln.Addr(), *token, interfaceIPs())
	fmt.Fprintf(env.Stdout, "Whetstone is serving at %s\n", urls[0])
	for _, u := range urls[1:] {
		fmt.Fprintf(env.Stdout, "  from another machine: %s\n", u)
	}
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

// serveURLs lists the URLs to open for a listener. A wildcard address
// (0.0.0.0, ::) is not something a browser can open, so it becomes the
// loopback URL for this machine, then one per address others may reach.
func serveURLs(addr net.Addr, token string, ifaceIPs []net.IP) []string {
	suffix := "/"
	if token != "" {
		suffix += "?token=" + token
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return []string{"http://" + addr.String() + suffix}
	}
	port := strconv.Itoa(tcp.Port)
	urls := []string{"http://" + net.JoinHostPort("127.0.0.1", port) + suffix}
	for _, ip := range ifaceIPs {
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
			continue
		}
		urls = append(urls, "http://"+net.JoinHostPort(ip.String(), port)+suffix)
	}
	return urls
}

// interfaceIPs returns this machine's interface addresses (none when they
// cannot be listed: the loopback URL is still printed).
func interfaceIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}
