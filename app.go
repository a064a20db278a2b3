package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/whetstone-ai/whetstone/backend/cli"
	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/frontend"
)

// App is the desktop window's lifecycle: Wails calls startup once the
// window exists, which is when events can start flowing to it.
type App struct {
	bridge   *events.Late
	services *service.Services
	cancel   context.CancelFunc
}

func (a *App) startup(ctx context.Context) {
	a.bridge.Attach(events.Func(func(topic string, payload any) {
		runtime.EventsEmit(ctx, topic, payload)
	}))
	a.services.AttachDialogs(dialogs{ctx})
}

func (a *App) shutdown(ctx context.Context) {
	a.services.AttachDialogs(nil)
	a.bridge.Attach(nil)
	a.cancel()
}

// dialogs are the OS's file and folder choosers, through Wails' runtime:
// the services reach them only through service.Dialogs, attached once the
// window exists, since the runtime ends the process outside a window.
type dialogs struct{ ctx context.Context }

func (d dialogs) OpenFile(title, start string, filters []service.FileFilter) (string, error) {
	opts := runtime.OpenDialogOptions{Title: title, DefaultDirectory: start}
	for _, f := range filters {
		opts.Filters = append(opts.Filters, runtime.FileFilter{DisplayName: f.Name, Pattern: f.Patterns})
	}
	return runtime.OpenFileDialog(d.ctx, opts)
}

func (d dialogs) OpenFolder(title, start string) (string, error) {
	return runtime.OpenDirectoryDialog(d.ctx, runtime.OpenDialogOptions{Title: title, DefaultDirectory: start, CanCreateDirectories: true})
}

// runDesktop opens the native window with the services bound into it. A
// binary built without Wails' build tags (plain `go build`) or started
// without a display serves the same UI on loopback instead, so `whetstone`
// always gives the user a UI.
func runDesktop(ctx context.Context, env *cli.Env, args []string) error {
	fs := flag.NewFlagSet("whetstone", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	ws := fs.String("workspace", "", "workspace folder")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", cli.ErrUsage, err)
	}
	// "whetstone --workspace DIR runs" would otherwise open the window and
	// drop "runs" without a word: a command's flags follow its name.
	if fs.NArg() > 0 {
		if c, ok := cli.Lookup(fs.Arg(0)); ok {
			return fmt.Errorf("%w: flags go after the command: whetstone %s %s", cli.ErrUsage, c.Name, strings.Join(args[:len(args)-fs.NArg()], " "))
		}
	}
	generatingBindings := env.Getenv("tsprefix") != "" || env.Getenv("tsoutputtype") != ""
	if !hasDisplay(env.Getenv) && !generatingBindings {
		fmt.Fprintln(env.Stderr, "No display found: serving the UI to a browser instead.")
		return serveFallback(ctx, env, *ws)
	}
	assets, err := frontend.Assets()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bridge := &events.Late{}
	sess, err := cli.OpenSession(ctx, env, *ws, bridge)
	if err != nil {
		return err
	}
	defer sess.Close()
	app := &App{bridge: bridge, services: sess.Services, cancel: cancel}
	err = wails.Run(&options.App{
		Title:            "Whetstone",
		Width:            1280,
		Height:           800,
		MinWidth:         960,
		MinHeight:        640,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 24, G: 26, B: 31, A: 255},
		OnStartup:        app.startup,
		OnShutdown:       app.shutdown,
		Bind:             sess.Services.Bind(),
	})
	if err != nil && strings.Contains(err.Error(), "build tags") {
		fmt.Fprintln(env.Stderr, "This binary was built without the desktop window (use `go tool wails build`): serving the UI to a browser instead.")
		sess.Close()
		return serveFallback(ctx, env, *ws)
	}
	return err
}

func serveFallback(ctx context.Context, env *cli.Env, workspace string) error {
	args := []string{"serve"}
	if workspace != "" {
		args = append(args, "--workspace", workspace)
	}
	return cli.Run(ctx, env, args)
}
