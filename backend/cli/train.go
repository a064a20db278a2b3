package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

func trainCommand() Command {
	return Command{
		Name:    "train",
		Summary: "fine-tune a model with LoRA from a run config (or flags), headless, with progress",
		Run:     runTrain,
	}
}

// setFlags collects repeated --set path=value flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func runTrain(ctx context.Context, env *Env, args []string) error {
	return trainWith(ctx, env, args, nil)
}

// trainWith is the train command, with also receiving the services'
// events as well as the terminal (tests).
func trainWith(ctx context.Context, env *Env, args []string, also events.Emitter) error {
	fs := newFlagSet(env, "train", "[--config run.yaml] [--model DIR|HUB_ID] [--method "+strings.Join(runconfig.Methods(), "|")+"] [--data FILE|HUB_ID] [--max-steps N] [--lr X] [--rank R] [--out DIR] [--set path=value]... | --resume RUN")
	configPath := fs.String("config", "", "run config (YAML or JSON); flags below override it")
	fs.String("model", "", "base model: local folder or hub id, org/name[@revision] (model.source)")
	fs.String("method", "", "training objective: "+methodsHelp()+"; dpo and orpo train on preference pairs, cpt on raw text")
	fs.String("data", "", "dataset: local file or hub id (dataset.path)")
	fs.String("max-steps", "", "optimizer steps (training.max_steps)")
	fs.String("lr", "", "peak learning rate (training.learning_rate)")
	fs.String("rank", "", "LoRA rank (lora.r)")
	fs.String("out", "", "also copy the final adapter here (output)")
	var sets setFlags
	fs.Var(&sets, "set", "set any config field, e.g. --set training.scheduler=cosine (repeatable)")
	family := fs.String("preset", "", "start from a model family's preset: gemma3, llama3 or qwen3")
	resume := fs.String("resume", "", "continue a paused, interrupted or failed run, or start a queued one: its id, the start of its id, or its name")
	resumeStep := fs.Int("resume-step", 0, "with --resume: the checkpoint step to continue from (default: newest valid)")
	printOnly := fs.Bool("print", false, "print the effective config as YAML and the equivalent command line, then exit")
	wsFlag := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}

	var cfg runconfig.Config
	if *resume == "" {
		var err error
		cfg, err = buildRunConfig(fs, *configPath, *family, sets)
		if err != nil {
			return err
		}
		if *printOnly {
			y, err := cfg.YAML()
			if err != nil {
				return err
			}
			line, err := cfg.CommandLine()
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s\n# %s\n", y, line)
			return nil
		}
	}
	t, err := openTerminal(ctx, env, termOptions{workspace: *wsFlag, create: true, also: also})
	if err != nil {
		return err
	}
	defer t.Close()
	if *resume != "" {
		_, err = t.train(ctx, env, nil, *resume, *resumeStep)
		return err
	}
	_, err = t.train(ctx, env, &cfg, "", 0)
	return err
}

// buildRunConfig layers: defaults (or a preset), then the config file,
// then the dedicated flags and --set, in that order.
func buildRunConfig(fs *flag.FlagSet, path, family string, sets []string) (runconfig.Config, error) {
	cfg := runconfig.Default()
	if family != "" {
		c, err := runconfig.ForFamily(family)
		if err != nil {
			return cfg, fmt.Errorf("%w: --preset: %v", ErrUsage, err)
		}
		cfg = c
	}
	if path != "" {
		c, err := runconfig.Load(path)
		if err != nil {
			return cfg, err
		}
		cfg = c
	}
	var flagErr error
	fs.Visit(func(f *flag.Flag) {
		if flagErr != nil {
			return
		}
		for _, d := range runconfig.Flags {
			if d.Flag == f.Name {
				flagErr = cfg.ApplyFlag(f.Name, f.Value.String())
			}
		}
	})
	if flagErr != nil {
		return cfg, fmt.Errorf("%w: %v", ErrUsage, flagErr)
	}
	for _, s := range sets {
		if err := cfg.ApplyFlag("set", s); err != nil {
			return cfg, fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	return cfg, nil
}

// train starts a new run (cfg) or resumes one (ref) on the services, as
// the New run form and the Resume button do, prints its progress from the
// services' events and waits for the queue to finish it. Ctrl-C (ctx
// ending) pauses the run with a checkpoint. It returns the run's id; the
// error is nil only when the run completed.
func (t *terminal) train(ctx context.Context, env *Env, cfg *runconfig.Config, ref string, resumeStep int) (string, error) {
	svc := t.svc
	var id string
	if cfg != nil {
		if c, err := svc.Runs.Check(*cfg); err == nil {
			printCheck(env, c)
		}
		rec, err := svc.Runs.Start(*cfg)
		if err != nil {
			// The same check as the New run form's, every problem at
			// once; a config whose own values are wrong is a usage error.
			var ve *runconfig.ValidationError
			if errors.As(err, &ve) {
				return "", fmt.Errorf("%w: %w", ErrUsage, err)
			}
			return "", usage(err)
		}
		id = rec.ID
	} else {
		d, err := svc.Runs.Get(ref)
		if err != nil {
			return "", usage(err)
		}
		id = d.Record.ID
		if err := svc.Runs.ResumeFrom(id, resumeStep); err != nil {
			return id, usage(err)
		}
		if d, err := svc.Runs.Get(id); err == nil && d.Record.Step > 0 && len(d.Checkpoints) == 0 {
			fmt.Fprintf(env.Stdout, "run %s has no checkpoint: it restarts from step 0 (its %d steps done are trained again)\n", id, d.Record.Step)
		}
	}
	t.out.run.setRun(id)
	fmt.Fprintf(env.Stdout, "run %s (workspace %s)\n", id, t.ws.Root)

	// The queue runs detached from ctx: Ctrl-C asks the run to pause
	// (checkpoint, then stop) rather than killing it mid-step.
	done := make(chan error, 1)
	go func() { done <- svc.WaitRun(context.Background(), id) }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		t.out.end()
		fmt.Fprintln(env.Stdout, "stopping: writing a checkpoint...")
		_ = svc.Runs.Pause(id)
		waitErr = <-done
	}
	t.out.end()
	// Another process completed, paused or took the run while this one
	// waited for the device: nothing ran here.
	if errors.Is(waitErr, service.ErrRunRefused) {
		return id, waitErr
	}
	d, err := svc.Runs.Get(id)
	if err != nil {
		return id, err
	}
	rec := d.Record
	switch rec.State {
	case service.RunCompleted:
		fmt.Fprintf(env.Stdout, "done: %d steps", rec.Step)
		if rec.Loss != nil {
			fmt.Fprintf(env.Stdout, ", final loss %.4f", *rec.Loss)
		}
		if rec.ValLoss != nil {
			fmt.Fprintf(env.Stdout, ", validation loss %.4f", *rec.ValLoss)
		}
		if ms, err := svc.Runs.Metrics(id); err == nil && len(ms) > 0 {
			for _, f := range stepFigures(ms[len(ms)-1].Extra) {
				fmt.Fprintf(env.Stdout, ", %s %s", f.title, f.value)
			}
		}
		fmt.Fprintf(env.Stdout, "\nadapter: %s\nexport it: whetstone export --run %s --format gguf\n", d.Paths.Adapter, id)
		return id, nil
	case service.RunPaused, service.RunInterrupted:
		fmt.Fprintf(env.Stdout, "run %s %s at step %d; continue with: whetstone train --resume %s\n", id, rec.State, rec.Step, id)
		if ctx.Err() != nil {
			return id, ctx.Err()
		}
		return id, fmt.Errorf("run %s %s before finishing", id, rec.State)
	default:
		return id, fmt.Errorf("run %s %s: %s (log: %s)", id, rec.State, rec.Error, d.Paths.Log)
	}
}

// printCheck prints what the New run form shows before Start (Runs.Check):
// the run's length and memory on stdout, each warning and error on
// stderr, one a line. Warnings let the run start; errors stop it, and
// the command's error repeats them.
func printCheck(env *Env, c service.RunCheck) {
	if st := c.Steps; st.Steps > 0 {
		about := ""
		if !st.Exact {
			about = "at most " // packing joins examples into fewer batches
		}
		switch {
		case st.FromEpochs && st.Examples > 0:
			fmt.Fprintf(env.Stdout, "check: %s%d steps (%g epoch(s) over %d training examples)\n", about, st.Steps, st.Epochs, st.Examples)
		case st.Examples > 0:
			prec := 1
			if st.Epochs >= 10 {
				prec = 0 // 533333 passes, not 5.33e+05
			}
			fmt.Fprintf(env.Stdout, "check: %d steps (about %.*f epoch(s) over %d training examples)\n", st.Steps, prec, st.Epochs, st.Examples)
		}
	}
	if f := c.Fit; f != nil && f.FreeMB > 0 {
		fmt.Fprintf(env.Stdout, "check: memory about %.1f GiB of the %.1f GiB of %s available\n", f.TotalMB/1024, f.FreeMB/1024, f.Memory)
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w.Error())
	}
	for _, e := range c.Errors {
		fmt.Fprintf(env.Stderr, "error: %s\n", e.Error())
	}
}

// progress prints run events: a single updating line on a terminal, one
// line per step otherwise (logs, CI).
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	id      string
	onLine  bool
	lastLog time.Time
	// prepStage is the last preparation stage printed.
	prepStage executor.PrepStage
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w)}
}

func (p *progress) setRun(id string) { p.mu.Lock(); p.id = id; p.mu.Unlock() }

func (p *progress) endLine() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.onLine {
		fmt.Fprintln(p.w)
		p.onLine = false
	}
}

// Emit implements events.Emitter.
func (p *progress) Emit(topic string, payload any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := payload.(type) {
	case service.RunMetricsEvent:
		if p.id != "" && ev.ID != p.id {
			return
		}
		line := formatMetrics(ev.Metrics)
		if p.tty {
			fmt.Fprintf(p.w, "\r\033[K%s", line)
			p.onLine = true
		} else {
			fmt.Fprintln(p.w, line)
		}
	case service.RunLogEvent:
		if p.id != "" && ev.ID != p.id {
			return
		}
		if p.onLine {
			fmt.Fprintln(p.w)
			p.onLine = false
		}
		fmt.Fprintf(p.w, "  %s\n", ev.Line)
	case service.PrepEvent:
		if p.id != "" && ev.ID != p.id {
			return
		}
		// A terminal gets one updating line; a log only each new stage,
		// not a line per 500 rows tokenized.
		line := "preparing: " + ev.Note
		switch {
		case p.tty:
			fmt.Fprintf(p.w, "\r\033[K%s", line)
			p.onLine = true
		case ev.Stage != p.prepStage:
			fmt.Fprintln(p.w, line)
		}
		p.prepStage = ev.Stage
	}
}

var _ events.Emitter = (*progress)(nil)

func formatMetrics(m service.RunMetrics) string {
	const width = 24
	total := max(m.TotalSteps, 1)
	filled := min(width, m.Step*width/total)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %*d/%d  loss %.4f", bar, len(strconv.Itoa(total)), m.Step, total, m.Loss)
	for _, f := range stepFigures(m.Extra) {
		fmt.Fprintf(&b, "  %s %s", f.label, f.value)
	}
	if m.ValLoss != nil {
		fmt.Fprintf(&b, "  val %.4f", *m.ValLoss)
	}
	fmt.Fprintf(&b, "  lr %.2e  |g| %.3f  %.0f tok/s  %s elapsed  ETA %s  %.0f MB",
		m.LR, m.GradNorm, m.TokensPerS, shortDuration(m.ElapsedS), shortDuration(m.EtaS), m.RSSMB)
	return b.String()
}

func shortDuration(s float64) string {
	if s < 0 || s != s {
		return "?"
	}
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	return d.String()
}
