// Command whetstone fine-tunes open LLMs with LoRA. With no arguments it
// opens the desktop window (or, on a machine without a display, serves the
// same UI to a browser); with a command it runs that command headless.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/whetstone-ai/whetstone/backend/cli"
)

// version and commit are set at build time with
// -ldflags "-X main.version=0.1.0 -X main.commit=<git hash>"; `whetstone
// version` and the Settings screen show both.
var (
	version = "dev"
	commit  = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C asks the command to stop cleanly (train writes a
	// checkpoint); after it, the default handling is back, so a second
	// Ctrl-C ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: versionString(version, commit)}

	args := os.Args[1:]
	var err error
	if len(args) == 0 || (len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && args[0] != "-h" && args[0] != "--help") {
		err = runDesktop(ctx, env, args)
	} else {
		err = cli.Run(ctx, env, args)
	}
	msg, code := exitStatus(err, ctx.Err() != nil)
	if msg != "" {
		fmt.Fprintln(os.Stderr, "whetstone:", msg)
	}
	if code != 0 {
		os.Exit(code)
	}
}

// exitStatus maps a command's error to what main prints and its exit code:
// 2 for usage errors, 130 (the shell's code for SIGINT) when Ctrl-C or
// SIGTERM stopped the command, where "context canceled" would say nothing
// useful, and 1 otherwise.
func exitStatus(err error, interrupted bool) (string, int) {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return "", 0
	case errors.Is(err, cli.ErrUsage):
		return err.Error(), 2
	case interrupted && errors.Is(err, context.Canceled):
		return "interrupted", 130
	default:
		return err.Error(), 1
	}
}

// versionString is the version with the commit it was built from, when
// known: "0.1.0 (commit 1a2b3c4d5e6f)".
func versionString(version, commit string) string {
	if commit == "" {
		return version
	}
	return version + " (commit " + commit + ")"
}
