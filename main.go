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

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: version}

	args := os.Args[1:]
	var err error
	if len(args) == 0 || (len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && args[0] != "-h" && args[0] != "--help") {
		err = runDesktop(ctx, env, args)
	} else {
		err = cli.Run(ctx, env, args)
	}
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, cli.ErrUsage):
		fmt.Fprintln(os.Stderr, "whetstone:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "whetstone:", err)
		os.Exit(1)
	}
}
