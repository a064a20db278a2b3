package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/cli"
)

// Ctrl-C during a command (train pauses with a checkpoint, export and
// download stop) ends with 130 and "interrupted", not "context canceled"
// and the code of a failure.
func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		err         error
		interrupted bool
		msg         string
		code        int
	}{
		{nil, false, "", 0},
		{flag.ErrHelp, false, "", 0},
		{fmt.Errorf("%w: bad flag", cli.ErrUsage), false, "usage error: bad flag", 2},
		{fmt.Errorf("run x: %w", context.Canceled), true, "interrupted", 130},
		{context.Canceled, false, "context canceled", 1},
		{errors.New("disk full"), true, "disk full", 1},
	} {
		msg, code := exitStatus(c.err, c.interrupted)
		if msg != c.msg || code != c.code {
			t.Errorf("exitStatus(%v, %v) = %q, %d; want %q, %d", c.err, c.interrupted, msg, code, c.msg, c.code)
		}
	}
}

// A command after the window's flags is an error that shows the right
// order, not a window that silently ignores the command.
func TestDesktopFlagsBeforeACommand(t *testing.T) {
	var stderr strings.Builder
	env := &cli.Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }}
	err := runDesktop(context.Background(), env, []string{"--workspace", t.TempDir(), "runs"})
	if !errors.Is(err, cli.ErrUsage) || !strings.Contains(err.Error(), "flags go after the command: whetstone runs --workspace") {
		t.Fatalf("got %v", err)
	}
}
