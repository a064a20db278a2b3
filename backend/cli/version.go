package cli

import (
	"context"
	"fmt"
	"runtime"
)

func versionCommand() Command {
	return Command{
		Name:    "version",
		Summary: "print the version",
		Run: func(ctx context.Context, env *Env, args []string) error {
			fs := newFlagSet(env, "version", "")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "whetstone %s (%s, %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
