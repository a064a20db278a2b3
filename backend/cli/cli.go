// Package cli holds whetstone's sub-commands. Each command lives in its own
// file and is listed once in Commands; main.go only dispatches.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env is what a command may touch: its streams and the process environment.
// Commands never read os.Stdin/os.Stdout directly so tests can drive them.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable (os.Getenv in production).
	Getenv func(string) string
	// Version is the build's version string.
	Version string
}

// Command is one sub-command of the whetstone binary.
type Command struct {
	Name    string
	Summary string
	// Run executes the command with the arguments after its name.
	Run func(ctx context.Context, env *Env, args []string) error
}

// ErrUsage marks an error caused by wrong arguments; main exits with code 2.
var ErrUsage = errors.New("usage error")

// Commands lists every sub-command, sorted by name in the help text.
// Add new commands here (one line each).
func Commands() []Command {
	cmds := []Command{
		versionCommand(),
		serveCommand(),
		downloadCommand(),
		benchCommand(),
		tokenizeCommand(),
		templateCommand(),
		dataCommand(),
		exportCommand(),
		trainCommand(),
		runsCommand(),
		demoCommand(),
		modelsCommand(),
		chatCommand(),
		settingsCommand(),
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	return cmds
}

// Lookup finds a command by name.
func Lookup(name string) (Command, bool) {
	for _, c := range Commands() {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// Usage writes the top-level help.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "whetstone: LoRA fine-tuning of open LLMs, from a desktop window, a browser or the terminal.")
	fmt.Fprintln(w, "\nUsage:\n  whetstone                 open the desktop window\n  whetstone <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range Commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(w, "\nRun 'whetstone <command> -h' for a command's flags.")
}

// Run dispatches args (without the program name) to a command.
func Run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		Usage(env.Stdout)
		return nil
	}
	c, ok := Lookup(args[0])
	if !ok {
		Usage(env.Stderr)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
	}
	return c.Run(ctx, env, args[1:])
}

// newFlagSet returns a flag set that reports errors instead of exiting,
// so commands stay testable.
func newFlagSet(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: whetstone %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %s", ErrUsage, strings.TrimSpace(err.Error()))
	}
	return nil
}
