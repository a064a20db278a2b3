package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/logging"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// chatCommand is the Chat screen's twin: the same service.Chat, answers
// streamed token by token to stdout.
func chatCommand() Command {
	return Command{
		Name:    "chat",
		Summary: "chat with a model, or a run's fine-tuned adapter, in the terminal",
		Run:     runChat,
	}
}

// maxChatLine bounds one line read from stdin: a message longer than this
// is refused rather than read into memory without limit.
const maxChatLine = 1 << 20

func runChat(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "chat", "(--model DIR|HUB_ID [--adapter DIR] | --run RUN) [--system TEXT] [--prompt TEXT] [--weights W] [sampling flags]\n"+
		"  Without --prompt, each line of stdin is a message; /reset starts over, Ctrl-D (end of input) quits.\n"+
		"  Sampling flags not given take the model's generation_config.json values (greedy without one).")
	modelRef := fs.String("model", "", "base model: a local folder or a hub id, org/name[@revision]")
	adapterDir := fs.String("adapter", "", "PEFT adapter folder to apply to --model")
	runRef := fs.String("run", "", "chat with a run's base model and adapter: its id, the start of its id, or its name (instead of --model)")
	system := fs.String("system", "", "system prompt")
	prompt := fs.String("prompt", "", "ask this one message, print the answer and exit (instead of reading stdin)")
	req := service.ChatRequest{}
	samplingFlag(fs, &req.Temperature, "temperature", "sampling temperature")
	samplingFlag(fs, &req.TopP, "top-p", "nucleus sampling: keep the most likely tokens up to this probability mass")
	samplingFlag(fs, &req.MinP, "min-p", "drop tokens less likely than this fraction of the most likely one")
	samplingFlag(fs, &req.RepetitionPenalty, "repetition-penalty", "divide the odds of tokens already in the conversation by this (1.1 is mild)")
	intSamplingFlag(fs, &req.TopK, "top-k", "sample only among the k most likely tokens")
	intSamplingFlag(fs, &req.MaxNewTokens, "max-new-tokens", "longest answer, in tokens")
	fs.Uint64Var(&req.Seed, "seed", 0, "sampling seed (the same seed and settings give the same answer)")
	var stops stringList
	fs.Var(&stops, "stop", "end the answer before this text; repeat for several"+limitHelp("stop"))
	weights := weightsFlag(chat.WeightsChoices()[0])
	fs.Var(&weights, "weights", weightsHelp())
	wsFlag := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (a message goes in --prompt or on stdin)", ErrUsage, fs.Arg(0))
	}
	switch {
	case *runRef == "" && *modelRef == "":
		return fmt.Errorf("%w: chat needs --model (a model folder or hub id) or --run (a run's name or id)", ErrUsage)
	case *runRef != "" && (*modelRef != "" || *adapterDir != ""):
		return fmt.Errorf("%w: --run brings the run's own base model and adapter; give --run alone, or --model with --adapter", ErrUsage)
	}
	// A run is resolved by the service as in the Chat screen's picker; the
	// workspace is needed for it, not created by chatting with a folder.
	t, err := openTerminal(ctx, env, termOptions{workspace: *wsFlag})
	if err != nil {
		return err
	}
	defer t.Close()
	who := *modelRef
	if *adapterDir != "" {
		who += " with the adapter " + *adapterDir
	}
	if *runRef != "" {
		// Resolve once, so a name or prefix that fits several runs fails
		// before the first message, and every turn talks to the same run.
		d, err := t.svc.Runs.Get(*runRef)
		if err != nil {
			return usage(err)
		}
		req.RunID = d.Record.ID
		who = fmt.Sprintf("run %s (%s) on %s", d.Record.Name, d.Record.ID, d.Record.Model)
	}
	req.Model, req.Adapter, req.System, req.Stop, req.Weights = *modelRef, *adapterDir, *system, stops, chat.Weights(weights)
	// Settings not given on the command line are the model's own, as the
	// Chat screen starts from them; a model without generation_config.json
	// (or one that cannot be read here, which Generate then reports) keeps
	// the flags' zeros: greedy.
	if d, err := t.svc.Chat.Defaults(service.ChatModel{RunID: req.RunID, Model: req.Model}); err == nil && d.Found {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		applySamplingDefaults(&req, d, set)
	}
	c := &chatSession{t: t, env: env, req: req, who: who}
	if *prompt != "" {
		_, err := c.ask(ctx, *prompt)
		return err
	}
	return c.loop(ctx)
}

// chatSession is one conversation: the request's model and settings, and
// the turns so far.
type chatSession struct {
	t   *terminal
	env *Env
	req service.ChatRequest
	// who names the model for the interactive greeting.
	who string
}

// loop reads a message per line of stdin until its end, answering each
// with the conversation so far.
func (c *chatSession) loop(ctx context.Context) error {
	if c.env.Stdin == nil {
		return fmt.Errorf("%w: no input to read messages from; pass --prompt TEXT", ErrUsage)
	}
	interactive := false
	if f, ok := c.env.Stdin.(*os.File); ok {
		interactive = logging.IsTerminal(f)
	}
	if interactive {
		fmt.Fprintf(c.env.Stderr, "chatting with %s\ntype a message and press Enter; /reset starts a new conversation, Ctrl-D quits\n", c.who)
	}
	sc := bufio.NewScanner(c.env.Stdin)
	sc.Buffer(make([]byte, 0, 64<<10), maxChatLine)
	for {
		if interactive {
			fmt.Fprint(c.env.Stderr, "> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "":
			continue
		case "/reset":
			c.req.Messages = nil
			fmt.Fprintln(c.env.Stderr, "(new conversation)")
			continue
		case "/exit", "/quit":
			return nil
		}
		if _, err := c.ask(ctx, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("stdin: a line is longer than %d bytes", maxChatLine)
		}
		return fmt.Errorf("read stdin: %w", err)
	}
	if interactive {
		fmt.Fprintln(c.env.Stderr)
	}
	return nil
}

// ask sends message after the conversation so far and streams the answer
// to stdout as it is generated; the exchange joins the conversation when
// the answer is complete.
func (c *chatSession) ask(ctx context.Context, message string) (string, error) {
	req := c.req
	req.Messages = append(append([]service.ChatMessage(nil), c.req.Messages...), service.ChatMessage{Role: "user", Content: message})
	stream, err := c.t.svc.Chat.Generate(req)
	if err != nil {
		return "", usage(err)
	}
	text, end, err := c.t.out.chat.follow(ctx, stream.StreamID, c.env.Stdout)
	fmt.Fprintln(c.env.Stdout)
	if err != nil {
		// Interrupted: stop generating rather than leave the service
		// working for nobody.
		_ = c.t.svc.Chat.Cancel(stream.StreamID)
		return text, err
	}
	if end.Error != "" {
		return text, errors.New(end.Error)
	}
	fmt.Fprintf(c.env.Stderr, "(%s)\n", answerStats(end))
	if end.FinishReason == "length" {
		fmt.Fprintf(c.env.Stderr, "(cut at %d tokens: --max-new-tokens allows longer answers)\n", end.Tokens)
	}
	c.req.Messages = append(req.Messages, service.ChatMessage{Role: "assistant", Content: text})
	return text, nil
}

// follow writes a stream's text to w as it arrives and returns the whole
// answer and its last event once the stream is done.
func (c *chatAnswers) follow(ctx context.Context, id string, w io.Writer) (string, service.ChatToken, error) {
	c.mu.Lock()
	a := c.stream(id)
	c.mu.Unlock()
	sent := 0
	for {
		c.mu.Lock()
		text := a.text.String()
		var finished bool
		select {
		case <-a.done:
			finished = true
			delete(c.streams, id)
		default:
		}
		end := a.end
		c.mu.Unlock()
		if len(text) > sent {
			if _, err := io.WriteString(w, text[sent:]); err != nil {
				return text, end, fmt.Errorf("write the answer: %w", err)
			}
			sent = len(text)
		}
		if finished {
			return text, end, nil
		}
		select {
		case <-a.changed:
		case <-ctx.Done():
			return text, end, ctx.Err()
		}
	}
}

// applySamplingDefaults sets each sampling setting whose flag is not in
// set to the model's default.
func applySamplingDefaults(req *service.ChatRequest, d service.SamplingDefaults, set map[string]bool) {
	for name, apply := range map[string]func(){
		"temperature":        func() { req.Temperature = d.Temperature },
		"top-p":              func() { req.TopP = d.TopP },
		"top-k":              func() { req.TopK = d.TopK },
		"min-p":              func() { req.MinP = d.MinP },
		"repetition-penalty": func() { req.RepetitionPenalty = d.RepetitionPenalty },
	} {
		if !set[name] {
			apply()
		}
	}
}

// samplingFlag registers a sampling setting; its help names the range and
// what 0 means, from service.SamplingLimits.
func samplingFlag(fs *flag.FlagSet, p *float64, name, help string) {
	fs.Float64Var(p, name, 0, help+limitHelp(name))
}

func intSamplingFlag(fs *flag.FlagSet, p *int, name, help string) {
	fs.IntVar(p, name, 0, help+limitHelp(name))
}

// limitHelp is " (0 to 5; 0: greedy)" for a flag whose setting is
// bounded in service.SamplingLimits (named with _ where the flag has -);
// for stop, how many strings of how many characters.
func limitHelp(flagName string) string {
	l, ok := service.SamplingLimits[strings.ReplaceAll(flagName, "-", "_")]
	switch {
	case !ok:
		return ""
	case l.MaxChars > 0:
		return fmt.Sprintf(" (at most %g, of at most %d characters each)", l.Max, l.MaxChars)
	}
	return fmt.Sprintf(" (%s to %s; 0: %s)", strconv.FormatFloat(l.Min, 'g', -1, 64), strconv.FormatFloat(l.Max, 'g', -1, 64), l.Zero)
}

// answerStats is the line printed after an answer: "int8 weights, 24
// tokens, 39.6 tok/s", the weights saying what auto chose.
func answerStats(end service.ChatToken) string {
	return fmt.Sprintf("%s weights, %d tokens, %.1f tok/s", end.Weights, end.Tokens, end.TokensPerS)
}

// weightsFlag is --weights: a chat.Weights, checked as it is parsed so a
// bad value fails before the model loads, naming the flag.
type weightsFlag chat.Weights

func (w *weightsFlag) String() string { return string(*w) }

func (w *weightsFlag) Set(v string) error {
	parsed, err := chat.ParseWeights(v)
	if err != nil {
		return fmt.Errorf("not one of %s", chat.WeightsNames())
	}
	*w = weightsFlag(parsed)
	return nil
}

// weightsHelp is --weights' help: the choices and what auto does, from the
// chat package.
func weightsHelp() string {
	return fmt.Sprintf("how the base weights are kept while answering: %s (auto: int8 for models of %dM+ parameters, float32 below; bfloat16 and int8 answer faster, float32 exactly as trained)",
		chat.WeightsNames(), chat.AutoInt8MinParams/1_000_000)
}

// stringList is a flag that collects every value it is given.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
