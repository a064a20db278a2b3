package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/service"
)

func demoCommand() Command {
	return Command{
		Name:    "demo",
		Summary: "train a tiny Gemma 3 model on built-in data, offline, in about a minute (--method dpo, orpo or cpt for the other objectives)",
		Run:     runDemo,
	}
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	methods := strings.Join(runconfig.Methods(), "|")
	fs := newFlagSet(env, "demo", "[--method "+methods+"] [--steps N] [--workspace DIR]")
	method := fs.String("method", runconfig.MethodSFT, "training objective: "+methodsHelp())
	steps := fs.Int("steps", 0, "optimizer steps (default: the demo config's own)")
	wsFlag := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if *steps < 0 {
		return fmt.Errorf("%w: --steps must be positive (or 0 for the demo's own), got %d", ErrUsage, *steps)
	}
	t, err := openTerminal(ctx, env, termOptions{workspace: *wsFlag, create: true})
	if err != nil {
		return err
	}
	defer t.Close()
	fmt.Fprintln(env.Stdout, "creating the demo model, tokenizer and data (no network needed)...")
	setup, err := t.svc.Runs.Demo(*method)
	if err != nil {
		return usage(err)
	}
	cfg := setup.Config
	if *steps > 0 {
		cfg.Training.MaxSteps = *steps
	}
	fmt.Fprintf(env.Stdout, "model:   %s (Gemma 3 architecture, random weights)\ndataset: %s (%d %s)\n",
		setup.ModelDir, setup.DataPath, setup.Rows, setup.Noun)
	if setup.ValPath != "" {
		fmt.Fprintf(env.Stdout, "held out: %s (validation)\n", setup.ValPath)
	}
	fmt.Fprintf(env.Stdout, "method:  %s\n", methodLine(setup.Method))
	if line, err := cfg.CommandLine(); err == nil {
		fmt.Fprintf(env.Stdout, "same as: %s\n", line)
	}
	id, err := t.train(ctx, env, &cfg, "", 0)
	if err != nil {
		return err
	}
	if err := t.demoFigures(env, setup.Method, id); err != nil {
		return err
	}
	if setup.Question == "" {
		return nil
	}
	return t.demoAnswers(ctx, env, setup, id)
}

// methodLine says in a few words what a demo of method trains.
func methodLine(method string) string {
	switch method {
	case runconfig.MethodDPO:
		return "dpo: prefer the chosen answers over the rejected ones, against the base model (the reward margin grows)"
	case runconfig.MethodORPO:
		return "orpo: learn the chosen answers and prefer them over the rejected ones, no reference model"
	case runconfig.MethodCPT:
		return "cpt: continued pretraining on raw text, every token trained (the held-out loss falls)"
	}
	return "sft: learn the answers of the conversations"
}

// demoFigures prints how the run's own figures moved from its first step
// to its last: the method's (reward margin and accuracy for DPO and ORPO)
// and the held-out loss, which is what a continued-pretraining demo shows.
func (t *terminal) demoFigures(env *Env, method, runID string) error {
	ms, err := t.svc.Runs.Metrics(runID)
	if err != nil || len(ms) == 0 {
		return err
	}
	printFigures(env, method, ms[0], ms[len(ms)-1])
	var val []service.RunMetrics
	for _, m := range ms {
		if m.ValLoss != nil {
			val = append(val, m)
		}
	}
	if len(val) >= 2 {
		a, b := val[0], val[len(val)-1]
		fmt.Fprintf(env.Stdout, "held-out loss: %.4f (step %d) -> %.4f (step %d)\n", *a.ValLoss, a.Step, *b.ValLoss, b.Step)
	}
	return nil
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
	label := "the data's answer"
	if setup.Method == runconfig.MethodDPO || setup.Method == runconfig.MethodORPO {
		label = "the chosen answer"
	}
	fmt.Fprintf(env.Stdout, "  %s: %q\n", label, setup.Answer)
	if setup.Method == runconfig.MethodDPO {
		// What a newcomer sees otherwise is two lines of noise, and may
		// take it for a failed run.
		fmt.Fprintln(env.Stdout, "  DPO teaches which of two answers to prefer, not how to write them: from random weights, a model this small\n"+
			"  learns the preference (the reward accuracy above) long before it can write the answers. ORPO also trains on\n"+
			"  the chosen answers (whetstone demo --method orpo); real DPO runs start from a model that already chats.")
	}
	fmt.Fprintf(env.Stdout, "chat with it: whetstone chat --run %s\n", runID)
	return nil
}

// methodsHelp lists the training methods for a flag's help, from
// runconfig, the first being the default.
func methodsHelp() string {
	return strings.Join(runconfig.Methods(), ", ") + " (training.method; " + runconfig.Methods()[0] + " is the default)"
}
