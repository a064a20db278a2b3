package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/whetstone-ai/whetstone/backend/service"
)

func runsCommand() Command {
	return Command{
		Name:    "runs",
		Summary: "list training runs; show, delete or duplicate one",
		Run:     runRuns,
	}
}

func runRuns(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "runs", "[--json] [show RUN [--yaml] | delete RUN | duplicate RUN]  (RUN: an id, the start of one, or a run's name)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	asYAML := fs.Bool("yaml", false, "with show: print only the run's config as YAML (what train --config reads)")
	wsFlag := workspaceFlag(fs)
	// Flags may come before or after the action and run id.
	var rest []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 0 && len(rest) != 2 {
		return fmt.Errorf("%w: want `runs`, `runs show RUN`, `runs delete RUN` or `runs duplicate RUN`", ErrUsage)
	}
	if len(rest) == 2 && !slices.Contains([]string{"show", "delete", "duplicate"}, rest[0]) {
		return fmt.Errorf("%w: unknown runs action %q", ErrUsage, rest[0])
	}
	t, err := openTerminal(ctx, env, termOptions{workspace: *wsFlag, create: true})
	if err != nil {
		return err
	}
	defer t.Close()
	runsSvc := t.svc.Runs
	if len(rest) == 0 {
		return listRuns(env, runsSvc, *asJSON)
	}
	d, err := runsSvc.Get(rest[1])
	if err != nil {
		return usage(err)
	}
	id := d.Record.ID
	switch rest[0] {
	case "show":
		if *asYAML {
			if d.ConfigError != "" {
				return fmt.Errorf("run %s: %s", id, d.ConfigError)
			}
			y, err := d.Config.YAML()
			if err != nil {
				return err
			}
			_, err = env.Stdout.Write(y)
			return err
		}
		return showRun(env, runsSvc, d, *asJSON)
	case "delete":
		if err := runsSvc.Delete(id); err != nil {
			// The service's advice ("cancel it") is the UI's; from a
			// terminal, the run is stopped in the process that trains it.
			if d, gerr := runsSvc.Get(id); gerr == nil && d.Record.State == service.RunRunning && d.Record.Owner != nil {
				pid := d.Record.Owner.PID
				return fmt.Errorf("run %s is running in process %d: stop it first (Ctrl-C in its terminal, or kill -INT %d; it pauses with a checkpoint), then delete it", id, pid, pid)
			}
			return err
		}
		fmt.Fprintf(env.Stdout, "deleted run %s\n", id)
		return nil
	default: // duplicate
		rec, err := runsSvc.Duplicate(id)
		if err != nil {
			return err
		}
		// The app's queue picks queued runs up when it starts; from the
		// terminal, train --resume starts it.
		fmt.Fprintf(env.Stdout, "created run %s (queued); start it with: whetstone train --resume %s\n", rec.ID, rec.ID)
		return nil
	}
}

func listRuns(env *Env, runsSvc *service.Runs, asJSON bool) error {
	list, err := runsSvc.List()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "no runs yet; start one with `whetstone train` or try `whetstone demo`")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSTEP\tLOSS\tVAL LOSS\tCREATED\tNAME")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", r.ID, r.State, r.Step, r.TotalSteps,
			optFloat(r.Loss), optFloat(r.ValLoss), r.Created.Local().Format("2006-01-02 15:04"), r.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range list {
		if r.Damage != nil {
			fmt.Fprintf(env.Stdout, "run %s is damaged: %s\n  %s\n", r.ID, r.Damage.Reason, damageAdvice(r))
		}
	}
	return nil
}

// damageAdvice is the store's advice with the commands that follow it.
func damageAdvice(r service.RunRecord) string {
	switch {
	case r.Damage.Resumable:
		return fmt.Sprintf("%s (whetstone train --resume %s, or whetstone runs delete %s)", r.Damage.Advice, r.ID, r.ID)
	case !slices.Contains(r.Damage.Files, "config.yaml"):
		return fmt.Sprintf("%s (whetstone runs duplicate %s, or whetstone runs delete %s)", r.Damage.Advice, r.ID, r.ID)
	default:
		return fmt.Sprintf("%s (whetstone runs delete %s)", r.Damage.Advice, r.ID)
	}
}

func optFloat(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *p)
}

func showRun(env *Env, runsSvc *service.Runs, d service.RunDetail, asJSON bool) error {
	rec := d.Record
	// A damaged run is shown with what is wrong: its config or its
	// metrics may not be readable.
	rep, err := runsSvc.MetricsReport(rec.ID)
	if err != nil && rec.State != service.RunDamaged {
		return err
	}
	ms := rep.Metrics
	if asJSON {
		out := map[string]any{"record": rec, "metrics": ms, "metrics_skipped": rep.Skipped}
		if d.ConfigError == "" {
			out["config"] = d.Config
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(env.Stdout, "run %s  %s  step %d/%d\n", rec.ID, rec.State, rec.Step, rec.TotalSteps)
	if rec.Damage != nil {
		fmt.Fprintf(env.Stdout, "damaged: %s\n  %s\n", rec.Damage.Reason, damageAdvice(rec))
	}
	if rep.Skipped > 0 {
		fmt.Fprintf(env.Stdout, "metrics.jsonl: %d unreadable lines skipped (%s)\n", rep.Skipped, rep.FirstProblem)
	}
	if rec.Error != "" {
		fmt.Fprintf(env.Stdout, "error: %s\n", rec.Error)
	}
	fmt.Fprintf(env.Stdout, "model %s\ndata  %s\n", rec.Model, rec.Dataset)
	if d.ConfigError == "" {
		fmt.Fprintf(env.Stdout, "method %s\n", d.Config.Training.Method)
	}
	if rec.Started != nil {
		end := time.Now()
		if rec.Finished != nil {
			end = *rec.Finished
		}
		fmt.Fprintf(env.Stdout, "started %s, %s\n", rec.Started.Local().Format(time.DateTime), end.Sub(*rec.Started).Round(time.Second))
	}
	if len(ms) > 0 {
		first, last := ms[0], ms[len(ms)-1]
		fmt.Fprintf(env.Stdout, "loss %.4f (step %d) -> %.4f (step %d), %.0f tokens/s\n", first.Loss, first.Step, last.Loss, last.Step, last.TokensPerS)
		printFigures(env, d.Config.Training.Method, first, last)
	}
	if rec.LastCheckpoint > 0 {
		fmt.Fprintf(env.Stdout, "last checkpoint: step %d\n", rec.LastCheckpoint)
	}
	if d.ConfigError == "" {
		if line, err := d.Config.CommandLine(); err == nil {
			fmt.Fprintf(env.Stdout, "as a command: %s\n", line)
		}
	}
	fmt.Fprintf(env.Stdout, "config: %s (edit a copy and pass it to train --config; --yaml prints it)\n", d.Paths.Config)
	fmt.Fprintf(env.Stdout, "folder: %s\n", d.Paths.Folder)
	return nil
}
