package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// chatEnv is an Env whose stdin holds in; stdout and stderr are kept apart
// so the answers can be read alone.
func chatEnv(in string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "HF_HUB_OFFLINE" {
			return "1"
		}
		return ""
	}}, &out, &errb
}

func TestChatOneShotStreamsAnAnswer(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	env, out, errb := chatEnv("")
	// The demo model's weights are random: it never ends its answer, so
	// --max-new-tokens cuts it and the command says so.
	err = Run(context.Background(), env, []string{"chat", "--model", files.ModelDir, "--prompt", "Who are you?",
		"--max-new-tokens", "5", "--repetition-penalty", "1.3", "--workspace", ws})
	if err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	answer := out.String()
	if !strings.HasSuffix(answer, "\n") || len(answer) < 2 || !strings.Contains(errb.String(), "(cut at 5 tokens") {
		t.Fatalf("stdout %q, stderr %q", out, errb)
	}
	// The stats line says what auto chose for the tiny demo model.
	if !strings.Contains(errb.String(), "(float32 weights, 5 tokens, ") {
		t.Errorf("no stats line with the weights: stderr %q", errb)
	}

	// A stop string ends the answer before it: the answer's own first
	// character leaves nothing to print.
	stop := answer[:1]
	env, out, errb = chatEnv("")
	err = Run(context.Background(), env, []string{"chat", "--model", files.ModelDir, "--prompt", "Who are you?",
		"--max-new-tokens", "5", "--repetition-penalty", "1.3", "--stop", "never said", "--stop", stop, "--workspace", ws})
	if err != nil || out.String() != "\n" || strings.Contains(errb.String(), "cut at") {
		t.Errorf("--stop %q: %v, stdout %q, stderr %q", stop, err, out, errb)
	}
}

// TestChatWeightsFlag: --weights reaches the engine (the stats line says
// which weights answered), its help lists the choices, and a bad value is
// refused naming the flag.
func TestChatWeightsFlag(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"bfloat16", "int8"} {
		env, out, errb := chatEnv("")
		err = Run(context.Background(), env, []string{"chat", "--model", files.ModelDir, "--prompt", "Who are you?",
			"--max-new-tokens", "3", "--weights", w, "--workspace", ws})
		if err != nil {
			t.Fatalf("--weights %s: %v\n%s", w, err, errb)
		}
		if !strings.Contains(errb.String(), "("+w+" weights, 3 tokens, ") || len(out.String()) < 2 {
			t.Errorf("--weights %s: stdout %q, stderr %q", w, out, errb)
		}
	}

	env, _, errb := chatEnv("")
	if err := Run(context.Background(), env, []string{"chat", "-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("chat -h: %v", err)
	}
	if !strings.Contains(errb.String(), "auto, float32, bfloat16, int8") || !strings.Contains(errb.String(), "(default auto)") {
		t.Errorf("--weights help does not list the choices and the default:\n%s", errb)
	}

	env, _, _ = chatEnv("")
	err = Run(context.Background(), env, []string{"chat", "--model", files.ModelDir, "--prompt", "hi", "--weights", "int4", "--workspace", ws})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "-weights") || !strings.Contains(err.Error(), "int4") {
		t.Errorf("--weights int4: %v, want a usage error naming the flag and the value", err)
	}
}

// TestChatReadsAConversationFromStdin pipes a conversation: every line is a
// turn answered with the ones before it, /reset starts over.
func TestChatReadsAConversationFromStdin(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	env, out, errb := chatEnv("Hi!\n/reset\nWhat is LoRA?\n\nAnd an epoch?\n")
	term, err := openTerminal(context.Background(), env, termOptions{workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	c := &chatSession{t: term, env: env, req: service.ChatRequest{Model: files.ModelDir, MaxNewTokens: 4}}
	if err := c.loop(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	var roles, users []string
	for _, m := range c.req.Messages {
		roles = append(roles, m.Role)
		if m.Role == "user" {
			users = append(users, m.Content)
		}
	}
	if strings.Join(roles, " ") != "user assistant user assistant" || strings.Join(users, "|") != "What is LoRA?|And an epoch?" {
		t.Errorf("conversation after the input: %+v", c.req.Messages)
	}
	// Three answers were printed, each ended by a newline, the last two
	// being the conversation's assistant turns.
	if n := strings.Count(errb.String(), "(cut at 4 tokens"); n != 3 {
		t.Errorf("%d answers cut, want 3; stderr:\n%s", n, errb)
	}
	want := c.req.Messages[1].Content + "\n" + c.req.Messages[3].Content + "\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("stdout %q does not end with the answers %q", out, want)
	}

	// The same input through the command, end to end.
	env, out, errb = chatEnv("Hi!\nWhat is LoRA?\n")
	if err := Run(context.Background(), env, []string{"chat", "--model", files.ModelDir, "--max-new-tokens", "3", "--workspace", ws}); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	if n := strings.Count(errb.String(), "(cut at 3 tokens"); n != 2 || strings.Count(out.String(), "\n") < 2 {
		t.Errorf("piped chat: stdout %q, stderr %q", out, errb)
	}
}

func TestChatRefusesBadFlags(t *testing.T) {
	ws := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "needs --model"},
		{[]string{"--model", "m", "--run", "r"}, "--run alone"},
		{[]string{"--model", "m", "extra"}, "unexpected argument"},
	} {
		env, _, _ := chatEnv("")
		err := Run(context.Background(), env, append(append([]string{"chat"}, c.args...), "--workspace", ws))
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("chat %v: %v, want a usage error with %q", c.args, err, c.want)
		}
	}
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	env, _, _ := chatEnv("")
	err = Run(context.Background(), env, []string{"chat", "--model", files.ModelDir, "--prompt", "hi", "--temperature", "9", "--workspace", ws})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "temperature") {
		t.Errorf("temperature 9: %v", err)
	}
	env, _, _ = chatEnv("")
	err = Run(context.Background(), env, []string{"chat", "--model", files.ModelDir, "--prompt", "hi", "--stop", "", "--workspace", ws})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "stop[0]") {
		t.Errorf("an empty stop string: %v", err)
	}
}

// TestFollowWritesTextAsItArrives: each piece is written before the next
// one exists, so an answer shows while it is being generated.
func TestFollowWritesTextAsItArrives(t *testing.T) {
	c := &chatAnswers{streams: map[string]*chatAnswer{}}
	w := &signalWriter{wrote: make(chan string)}
	type result struct {
		text string
		err  error
	}
	done := make(chan result)
	go func() {
		text, _, err := c.follow(context.Background(), "s", w)
		done <- result{text, err}
	}()
	for _, piece := range []string{"Hel", "lo"} {
		c.add(service.ChatToken{StreamID: "s", Text: piece})
		if got := <-w.wrote; got != piece {
			t.Fatalf("wrote %q, want %q", got, piece)
		}
	}
	c.add(service.ChatToken{StreamID: "s", Text: "!", Done: true})
	if got := <-w.wrote; got != "!" {
		t.Fatalf("wrote %q at the end", got)
	}
	if r := <-done; r.err != nil || r.text != "Hello!" {
		t.Errorf("follow returned %q, %v", r.text, r.err)
	}
}

type signalWriter struct{ wrote chan string }

func (w *signalWriter) Write(p []byte) (int, error) {
	w.wrote <- string(p)
	return len(p), nil
}

func TestChatTakesUnsetSamplingFromTheModel(t *testing.T) {
	d := service.SamplingDefaults{Found: true, Temperature: 0.6, TopP: 0.9, TopK: 20, MinP: 0.05, RepetitionPenalty: 1.05}
	req := service.ChatRequest{Temperature: 0, TopK: 5}
	applySamplingDefaults(&req, d, map[string]bool{"temperature": true, "top-k": true})
	want := service.ChatRequest{Temperature: 0, TopP: 0.9, TopK: 5, MinP: 0.05, RepetitionPenalty: 1.05}
	if fmt.Sprint(req) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", req, want)
	}
}
