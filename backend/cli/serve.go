package cli

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/backend/openaiapi"
	"github.com/whetstone-ai/whetstone/backend/restapi"
	"github.com/whetstone-ai/whetstone/backend/workspace"
	"github.com/whetstone-ai/whetstone/frontend"
)

// EnvToken supplies serve's access token.
const EnvToken = "WHETSTONE_TOKEN"

// shutdownGrace is how long serve waits, after Ctrl-C, for requests to
// wind up (their contexts end at once) before it closes their connections.
const shutdownGrace = 2 * time.Second

func serveCommand() Command {
	return Command{
		Name:    "serve",
		Summary: "serve the UI and API over HTTP for a browser (headless machines)",
		Run:     runServe,
	}
}

// hostList is a repeatable flag.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }
func (h *hostList) Set(v string) error {
	v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "["), "]")
	if v == "" || strings.ContainsAny(v, "/ ") {
		return fmt.Errorf("want a host name or address, got %q", v)
	}
	*h = append(*h, v)
	return nil
}

// folderList is a repeatable flag of folders, made absolute.
type folderList []string

func (f *folderList) String() string { return strings.Join(*f, ",") }
func (f *folderList) Set(v string) error {
	abs, err := filepath.Abs(strings.TrimSpace(v))
	if err != nil || strings.TrimSpace(v) == "" {
		return fmt.Errorf("want a folder, got %q", v)
	}
	if err := workspace.CheckAllowedFolder(abs); err != nil {
		return err
	}
	*f = append(*f, abs)
	return nil
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "serve", "[--addr HOST:PORT] [--allow DIR]... [--allow-host NAME]... [--token TOKEN] [--workspace DIR]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	token := fs.String("token", "", "access token required on every request (default $"+EnvToken+", else a new random one; the environment keeps it out of `ps`)")
	var allow hostList
	fs.Var(&allow, "allow-host", "a further host name the browser may use to reach this server, e.g. the machine's DNS name (repeatable); loopback, the --addr host and, for a wildcard --addr, this machine's addresses are always allowed")
	var folders folderList
	fs.Var(&folders, "allow", "a folder the browser may read and write, for this run only, besides the workspace, the Hugging Face cache and those allowed with `whetstone settings allow DIR` (repeatable)")
	ws := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *token == "" {
		*token = env.getenv()(EnvToken)
	}
	if *token == "" {
		// Loopback too: any web page the user visits can send requests to
		// 127.0.0.1, so the token is what keeps it out.
		t, err := httpapi.NewToken()
		if err != nil {
			return err
		}
		*token = t
	}
	hub := httpapi.NewHub()
	// The REST API's streams (a run's events, downloads) see what the UI's
	// hub sees.
	apiEvents := restapi.NewBroadcaster()
	sess, err := OpenSession(ctx, env, *ws, restapi.Tee(hub, apiEvents), Remote(folders))
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
	var docsAssets iofs.FS
	if assets != nil {
		docsAssets, _ = iofs.Sub(assets, "apidocs")
	}
	// Every route beside the UI's RPC, one list: the REST API (with its
	// OpenAPI document and docs page) and the OpenAI-compatible endpoint.
	rest, err := restapi.Routes(restapi.Deps{
		Services: sess.Services, Workspace: sess.Workspace, Events: apiEvents, DocsAssets: docsAssets, Log: sess.Log,
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var routes []httpapi.Route
	routes = append(routes, rest...)
	routes = append(routes, openaiapi.Routes(openaiapi.Deps{Services: sess.Services, Log: sess.Log})...)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close()
	srv, err := httpapi.New(httpapi.Options{
		Services: sess.Services.Named(), Scope: sess.Services.Scoped, Assets: assets, Token: *token, Hub: hub, Log: sess.Log,
		Addr: *addr, AllowedHosts: append(allowedListenHosts(ln.Addr()), allow...), Routes: routes,
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if len(*token) < 16 {
		sess.Log.Warn().Int("length", len(*token)).Msg("the access token is short; a random one (leave --token and $" + EnvToken + " unset) is safer")
	}
	urls := serveURLs(ln.Addr(), *token, httpapi.InterfaceIPs(), allow)
	fmt.Fprintf(env.Stdout, "Whetstone is serving at %s\n", urls[0])
	for _, u := range urls[1:] {
		fmt.Fprintf(env.Stdout, "  also at: %s\n", u)
	}
	fmt.Fprintln(env.Stdout, "Open the URL with its ?token= once: the browser keeps a cookie and the address bar drops the token.")
	sess.Log.Info().Str("addr", ln.Addr().String()).Strs("allow_host", allow).Strs("allow", folders).Str("workspace", sess.Workspace.Root).Msg("serving")

	// Requests' contexts end when ctx does, so calls in progress and event
	// streams stop at Ctrl-C instead of holding the shutdown open.
	hs := srv.HTTPServer(ctx)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		// Ask the running run to pause now, while the server winds down,
		// rather than after: the deferred sess.Close then only waits.
		paused := make(chan struct{})
		go func() {
			sess.Services.Close()
			close(paused)
		}()
		defer func() { <-paused }()
		shutdown, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("shut down server: %w", err)
		}
		hs.Close()
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	}
}

// allowedListenHosts is the address the listener got, when --addr named a
// host: a browser may use the address as well as the name.
func allowedListenHosts(a net.Addr) []string {
	if tcp, ok := a.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() {
		return []string{tcp.IP.String()}
	}
	return nil
}

// serveURLs lists the URLs to open for a listener, each with the token. A
// wildcard address (0.0.0.0, ::) is not something a browser can open, so it
// becomes the loopback URL for this machine, then one per address others
// may reach. Each --allow-host name gets one too.
func serveURLs(addr net.Addr, token string, ifaceIPs []net.IP, allowHosts []string) []string {
	suffix := "/?token=" + url.QueryEscape(token)
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return []string{"http://" + addr.String() + suffix}
	}
	port := strconv.Itoa(tcp.Port)
	var urls []string
	if !tcp.IP.IsUnspecified() {
		urls = append(urls, "http://"+addr.String()+suffix)
	} else {
		urls = append(urls, "http://"+net.JoinHostPort("127.0.0.1", port)+suffix)
		for _, ip := range ifaceIPs {
			if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
				continue
			}
			urls = append(urls, "http://"+net.JoinHostPort(ip.String(), port)+suffix)
		}
	}
	for _, h := range allowHosts {
		urls = append(urls, "http://"+net.JoinHostPort(h, port)+suffix)
	}
	return urls
}
