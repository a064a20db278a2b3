package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/service"
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
	t, err := openTerminal(ctx, env, termOptions{workspace: *wsFlag, create: true})
	if err != nil {
		return err
	}
	defer t.Close()
	fmt.Fprintln(env.Stdout, "creating the demo model, tokenizer and dataset (no network needed)...")
	setup, err := t.svc.Runs.Demo()
	if err != nil {
		return err
	}
	cfg := setup.Config
	if *steps > 0 {
		cfg.Training.MaxSteps = *steps
	}
	fmt.Fprintf(env.Stdout, "model:   %s (Gemma 3 architecture, random weights)\ndataset: %s (%d conversations)\n",
		setup.ModelDir, setup.DataPath, setup.Conversations)
	if line, err := cfg.CommandLine(); err == nil {
		fmt.Fprintf(env.Stdout, "same as: %s\n", line)
	}
	id, err := t.train(ctx, env, &cfg, "", 0)
	if err != nil {
		return err
	}
	return t.demoAnswers(ctx, env, setup, id)
}

// demoAnswers asks the base and the tuned model the demo's question
// (setup.Question), greedily, so the effect of the run is visible next to
// the answer the data taught (setup.Answer): the Chat service answers, as
// in the Chat screen, and the answer is read from its "chat.token" events.
func (t *terminal) demoAnswers(ctx context.Context, env *Env, setup service.DemoSetup, runID string) error {
	fmt.Fprintf(env.Stdout, "\nasking both models: %q (greedy)\n", setup.Question)
	for _, side := range []struct{ label, run string }{{"base ", ""}, {"tuned", runID}} {
		req := service.ChatRequest{
			Messages:     []service.ChatMessage{{Role: "user", Content: setup.Question}},
			MaxNewTokens: 32,
			// Temperature 0 is greedy: the model's most likely answer,
			// the same on every run, not a sample that may wander.
			Temperature: 0,
		}
		if side.run != "" {
			req.RunID = side.run
		} else {
			req.Model = setup.ModelDir
		}
		stream, err := t.svc.Chat.Generate(req)
		if err != nil {
			return fmt.Errorf("demo answer (%s): %w", strings.TrimSpace(side.label), err)
		}
		text, end, err := t.out.chat.wait(ctx, stream.StreamID)
		if err == nil && end.Error != "" {
			err = fmt.Errorf("%s", end.Error)
		}
		if err != nil {
			return fmt.Errorf("demo answer (%s): %w", strings.TrimSpace(side.label), err)
		}
		fmt.Fprintf(env.Stdout, "  %s: %q\n", side.label, text)
	}
	fmt.Fprintf(env.Stdout, "  the data's answer: %q\n", setup.Answer)
	fmt.Fprintf(env.Stdout, "chat with it: whetstone chat --run %s\n", runID)
	return nil
}
