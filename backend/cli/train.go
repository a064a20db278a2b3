package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/logging"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/train"
	"github.com/whetstone-ai/whetstone/backend/workspace"
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
	fs := newFlagSet(env, "train", "[--config run.yaml] [--model DIR|HUB_ID] [--data FILE|HUB_ID] [--max-steps N] [--lr X] [--rank R] [--out DIR] [--set path=value]... | --resume RUN_ID")
	configPath := fs.String("config", "", "run config (YAML or JSON); flags below override it")
	fs.String("model", "", "base model: local folder or hub id (model.source)")
	fs.String("data", "", "dataset: local file or hub id (dataset.path)")
	fs.String("max-steps", "", "optimizer steps (training.max_steps)")
	fs.String("lr", "", "peak learning rate (training.learning_rate)")
	fs.String("rank", "", "LoRA rank (lora.r)")
	fs.String("out", "", "also copy the final adapter here (output)")
	var sets setFlags
	fs.Var(&sets, "set", "set any config field, e.g. --set training.scheduler=cosine (repeatable)")
	family := fs.String("preset", "", "start from a model family's preset: gemma3, llama3 or qwen3")
	resume := fs.String("resume", "", "continue a paused, interrupted or failed run, or start a queued one, by id")
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
		if err := cfg.Check(); err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if err := preflight(cfg); err != nil {
			return err
		}
	}
	ws, err := openWorkspace(env, *wsFlag)
	if err != nil {
		return err
	}
	store, err := runs.Open(ws.RunsDir())
	if err != nil {
		return err
	}
	h := headless{env: env, store: store, ws: ws}
	if *resume != "" {
		return h.run(ctx, nil, *resume, *resumeStep)
	}
	return h.run(ctx, &cfg, "", 0)
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

func openWorkspace(env *Env, flagValue string) (*workspace.Workspace, error) {
	root, err := workspace.Resolve(flagValue, env.getenv())
	if err != nil {
		return nil, err
	}
	return workspace.Open(root)
}

// headless runs one run through the same store and queue the app uses,
// printing progress to the terminal.
type headless struct {
	env   *Env
	store *runs.Store
	ws    *workspace.Workspace
	// afterStep is a test hook passed to the executor.
	afterStep func(job *runs.Job, step int) error
}

func (h headless) run(ctx context.Context, cfg *runconfig.Config, resumeID string, resumeStep int) error {
	_, err := h.start(ctx, cfg, resumeID, resumeStep)
	return err
}

// start executes a new run (cfg) or resumes one, and returns its id; the
// error is nil only when the run completed.
func (h headless) start(ctx context.Context, cfg *runconfig.Config, resumeID string, resumeStep int) (string, error) {
	p := newProgress(h.env.Stdout)
	exec := train.NewExecutor(train.Env{
		Hub:       hub.NewFromEnv(h.env.getenv(), nil),
		CacheDir:  h.ws.CacheDir(),
		AfterStep: h.afterStep,
	})
	q, err := runs.NewQueue(h.store, exec, p, runs.WithoutRestore())
	if err != nil {
		return "", err
	}
	// The queue runs detached from ctx: Ctrl-C asks the run to pause
	// (checkpoint, then stop) rather than killing it mid-step.
	q.Start(context.Background())
	defer q.Close()

	id := resumeID
	if cfg != nil {
		rec, err := q.Submit(*cfg)
		if err != nil {
			return "", err
		}
		id = rec.ID
	} else {
		if err := q.Resume(id, resumeStep); err != nil {
			return "", err
		}
		if rec, err := h.store.Get(id); err == nil && rec.Step > 0 {
			if steps, _ := train.Checkpoints(h.store.CheckpointsDir(id)); len(steps) == 0 {
				fmt.Fprintf(h.env.Stdout, "run %s has no checkpoint: it restarts from step 0 (its %d steps done are trained again)\n", id, rec.Step)
			}
		}
	}
	p.setRun(id)
	fmt.Fprintf(h.env.Stdout, "run %s (workspace %s)\n", id, h.ws.Root)

	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = q.Wait(context.Background(), id)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		p.endLine()
		fmt.Fprintln(h.env.Stdout, "stopping: writing a checkpoint...")
		_ = q.Pause(id)
		<-done
	}
	p.endLine()
	// Another process completed, paused or took the run while this one
	// waited for the device: nothing ran here.
	if errors.Is(waitErr, runs.ErrRefused) {
		return id, waitErr
	}
	rec, err := h.store.Get(id)
	if err != nil {
		return id, err
	}
	switch rec.State {
	case runs.Completed:
		fmt.Fprintf(h.env.Stdout, "done: %d steps", rec.Step)
		if rec.Loss != nil {
			fmt.Fprintf(h.env.Stdout, ", final loss %.4f", *rec.Loss)
		}
		if rec.ValLoss != nil {
			fmt.Fprintf(h.env.Stdout, ", validation loss %.4f", *rec.ValLoss)
		}
		fmt.Fprintf(h.env.Stdout, "\nadapter: %s\nexport it: whetstone export --run %s --format gguf\n", h.store.AdapterDir(id), id)
		return id, nil
	case runs.Paused, runs.Interrupted:
		fmt.Fprintf(h.env.Stdout, "run %s %s at step %d; continue with: whetstone train --resume %s\n", id, rec.State, rec.Step, id)
		if ctx.Err() != nil {
			return id, ctx.Err()
		}
		return id, fmt.Errorf("run %s %s before finishing", id, rec.State)
	default:
		return id, fmt.Errorf("run %s %s: %s (log: %s)", id, rec.State, rec.Error, h.store.LogPath(id))
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
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		p.tty = logging.IsTerminal(f)
	}
	return p
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
	case runs.MetricsEvent:
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
	case runs.LogEvent:
		if p.id != "" && ev.ID != p.id {
			return
		}
		if p.onLine {
			fmt.Fprintln(p.w)
			p.onLine = false
		}
		fmt.Fprintf(p.w, "  %s\n", ev.Line)
	}
}

var _ events.Emitter = (*progress)(nil)

func formatMetrics(m runs.Metrics) string {
	const width = 24
	total := max(m.TotalSteps, 1)
	filled := min(width, m.Step*width/total)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %*d/%d  loss %.4f", bar, len(strconv.Itoa(total)), m.Step, total, m.Loss)
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
