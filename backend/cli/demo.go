package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runs"
)

func demoCommand() Command {
	return Command{
		Name:    "demo",
		Summary: "train a tiny Gemma 3 model on a built-in chat dataset, offline, in about a minute",
		Run:     runDemo,
	}
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "demo", "[--steps N] [--workspace DIR]")
	steps := fs.Int("steps", 0, "optimizer steps (default: the demo config's 60)")
	wsFlag := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if *steps < 0 {
		return fmt.Errorf("%w: --steps must be positive (or 0 for the demo's own 60), got %d", ErrUsage, *steps)
	}
	ws, err := openWorkspace(env, *wsFlag)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "creating the demo model, tokenizer and dataset (no network needed)...")
	files, err := demo.Create(filepath.Join(ws.ModelsDir(), "demo"))
	if err != nil {
		return err
	}
	cfg := demo.RunConfig(files)
	if *steps > 0 {
		cfg.Training.MaxSteps = *steps
	}
	fmt.Fprintf(env.Stdout, "model:   %s (Gemma 3 architecture, random weights)\ndataset: %s (%d conversations)\n",
		files.ModelDir, files.DataPath, demo.Conversations())
	if line, err := cfg.CommandLine(); err == nil {
		fmt.Fprintf(env.Stdout, "same as: %s\n", line)
	}
	store, err := runs.Open(ws.RunsDir())
	if err != nil {
		return err
	}
	h := headless{env: env, store: store, ws: ws}
	id, err := h.start(ctx, &cfg, "", 0)
	if err != nil {
		return err
	}
	return demoAnswers(ctx, env, files, store.AdapterDir(id))
}

// demoQuestion is a training-set prompt: the tuned model should answer in
// the dataset's pattern where the random base model babbles.
const demoQuestion = "What is two plus three?"

// demoAnswers shows the base and the tuned model answering the same
// question, greedily, so the effect of the run is visible.
func demoAnswers(ctx context.Context, env *Env, files demo.Files, adapterDir string) error {
	engine := chat.NewEngine(model.Options{}, 2)
	fmt.Fprintf(env.Stdout, "\nasking both models: %q\n", demoQuestion)
	for _, side := range []struct{ label, adapter string }{{"base ", ""}, {"tuned", adapterDir}} {
		res, err := engine.Generate(ctx, chat.Request{
			ModelDir: files.ModelDir, AdapterDir: side.adapter,
			Messages:     []chattemplate.Message{{Role: "user", Content: demoQuestion}},
			MaxNewTokens: 24,
		}, nil)
		if err != nil {
			return fmt.Errorf("demo answer (%s): %w", strings.TrimSpace(side.label), err)
		}
		fmt.Fprintf(env.Stdout, "  %s: %q\n", side.label, res.Text)
	}
	return nil
}
