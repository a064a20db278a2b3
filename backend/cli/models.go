package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/service"
)

func modelsCommand() Command {
	return Command{
		Name:    "models",
		Summary: "list the recommended models (catalog) or the models this machine has (list), as the Models screen does",
		Run:     runModels,
	}
}

func runModels(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "models", "[catalog | list] [--json]")
	ws := workspaceFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	verb := "catalog"
	if len(rest) > 0 {
		verb = rest[0]
	}
	if len(rest) > 1 {
		return fmt.Errorf("%w: models %s takes no arguments, got %s", ErrUsage, verb, strings.Join(rest[1:], " "))
	}
	if verb != "catalog" && verb != "list" {
		return fmt.Errorf("%w: models %s: want catalog or list", ErrUsage, verb)
	}
	t, err := openTerminal(ctx, env, termOptions{workspace: *ws})
	if err != nil {
		return err
	}
	defer t.Close()
	var out any
	if verb == "catalog" {
		out, err = t.svc.Models.Catalog()
	} else {
		out, err = t.svc.Models.Choices()
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if verb == "catalog" {
		printCatalog(env, out.([]service.CatalogModel))
	} else {
		printChoices(env, out.([]service.ModelChoice))
	}
	return nil
}

func printCatalog(env *Env, models []service.CatalogModel) {
	fmt.Fprintf(env.Stdout, "%-34s %7s %8s %9s  %-40s %s\n", "MODEL", "PARAMS", "CONTEXT", "DOWNLOAD", "LICENCE", "")
	gated := false
	for _, m := range models {
		mark := ""
		if m.Gated {
			mark, gated = "gated", true
		}
		if m.Downloaded {
			mark = strings.TrimSpace(mark + " downloaded")
		}
		fmt.Fprintf(env.Stdout, "%-34s %7s %8d %9s  %-40s %s\n", m.ID, formatParams(m.Params), m.ContextLength, "~"+service.FormatBytes(m.DownloadBytes), m.License, mark)
	}
	if gated {
		fmt.Fprintf(env.Stdout, "\ngated models: accept the licence on the model's hub page while signed in, then `whetstone settings set hub_token=...` (or HF_TOKEN)\n")
	}
	fmt.Fprintln(env.Stdout, "download one with `whetstone download MODEL`")
}

func printChoices(env *Env, choices []service.ModelChoice) {
	if len(choices) == 0 {
		fmt.Fprintln(env.Stderr, "no models yet: `whetstone demo` makes one, `whetstone models catalog` lists some to download")
		return
	}
	for _, c := range choices {
		size, params := "", ""
		if c.SizeBytes > 0 {
			size = service.FormatBytes(c.SizeBytes)
		}
		if c.Params > 0 {
			params = formatParams(c.Params)
		}
		note := ""
		switch {
		case c.Missing:
			note = "missing"
		case c.Dir != "" && !c.HasWeights:
			note = "config only"
		}
		fmt.Fprintf(env.Stdout, "%-9s %-48s %7s %10s  %s\n", c.Source, c.Ref, params, size, note)
	}
}

// formatParams writes a parameter count as model cards do: 268M, 1.2B.
func formatParams(n int64) string {
	switch {
	case n >= 999_500_000: // 999.9M reads as the 1.0B it is sold as
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%dM", (n+5e5)/1e6)
	default:
		return fmt.Sprintf("%dK", (n+500)/1e3)
	}
}
