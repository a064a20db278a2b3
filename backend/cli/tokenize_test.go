package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func stdinEnv(in string) (*Env, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Env{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}, &out
}

func TestTokenizeCommand(t *testing.T) {
	dir := t.TempDir()
	tokenizertest.SentencePiece(t, dir)
	tk, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, special := range []bool{false, true} {
		args := []string{"tokenize", "--model", dir}
		if special {
			args = append(args, "--special")
		}
		env, out := stdinEnv("hello world<end_of_turn>")
		if err := Run(context.Background(), env, args); err != nil {
			t.Fatal(err)
		}
		var ids []int
		if err := json.Unmarshal(out.Bytes(), &ids); err != nil {
			t.Fatalf("output %q is not a JSON array: %v", out, err)
		}
		if want := tk.Encode("hello world<end_of_turn>", special); !slices.Equal(ids, want) {
			t.Fatalf("special=%v: ids %v, want %v", special, ids, want)
		}
	}
	env, out := stdinEnv("")
	if err := Run(context.Background(), env, []string{"tokenize", "--model", dir}); err != nil || strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("empty input: %q %v", out, err)
	}
	env, _ = stdinEnv("x")
	if err := Run(context.Background(), env, []string{"tokenize"}); !errors.Is(err, ErrUsage) {
		t.Fatalf("missing --model: %v", err)
	}
	env, _ = stdinEnv("x")
	if err := Run(context.Background(), env, []string{"tokenize", "--model", t.TempDir()}); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Fatalf("empty folder: %v", err)
	}
	env, _ = stdinEnv("\xff\xfe")
	if err := Run(context.Background(), env, []string{"tokenize", "--model", dir}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("invalid UTF-8: %v", err)
	}
}

func TestTemplateCommand(t *testing.T) {
	dir := t.TempDir()
	tokenizertest.ByteLevel(t, dir)
	msgs := `[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]`
	env, out := stdinEnv(msgs)
	if err := Run(context.Background(), env, []string{"template", "--model", dir, "--generation-prompt"}); err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
	if out.String() != want {
		t.Fatalf("rendered %q, want %q", out, want)
	}
	env, out = stdinEnv(`[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]`)
	if err := Run(context.Background(), env, []string{"template", "--model", dir, "--spans"}); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Text  string
		Spans []struct {
			Start, End, Message int
			Text                string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("--spans output %q: %v", out, err)
	}
	if len(res.Spans) != 1 || res.Spans[0].Text != "Hello!<|im_end|>" || res.Spans[0].Message != 1 || res.Text[res.Spans[0].Start:res.Spans[0].End] != res.Spans[0].Text {
		t.Fatalf("--spans = %+v", res)
	}
	env, _ = stdinEnv(`{"role":"user"}`)
	if err := Run(context.Background(), env, []string{"template", "--model", dir}); err == nil || !strings.Contains(err.Error(), "array") {
		t.Fatalf("bad messages: %v", err)
	}
	env, _ = stdinEnv(msgs)
	if err := Run(context.Background(), env, []string{"template", "--model", dir, "--kwargs", "[1]"}); !errors.Is(err, ErrUsage) {
		t.Fatalf("bad kwargs: %v", err)
	}
	env, _ = stdinEnv(`[]`)
	if err := Run(context.Background(), env, []string{"template", "--model", dir}); err == nil || !strings.Contains(err.Error(), "message list is empty") {
		t.Fatalf("empty message list: %v", err)
	}
}

// A template's own error (Gemma's raise_exception on roles that do not
// alternate) says it came from the model's chat template.
func TestTemplateCommandErrorNamesTemplate(t *testing.T) {
	model := sharedtest.Path(t, "refsets", "visible", "tokenizers", "gemma3")
	env, _ := stdinEnv(`[{"role":"assistant","content":"Hi"}]`)
	err := Run(context.Background(), env, []string{"template", "--model", model})
	if err == nil || !strings.Contains(err.Error(), "chat template of "+model) || !strings.Contains(err.Error(), "alternate") {
		t.Fatalf("want the template's error with its origin, got %v", err)
	}
}

// TestTemplateCommandQwen3 renders a reference case with Qwen 3's real
// template and enable_thinking passed through --kwargs.
func TestTemplateCommandQwen3(t *testing.T) {
	dir := sharedtest.Path(t, "refsets", "visible", "tokenizers", "qwen3")
	b, err := os.ReadFile(sharedtest.Path(t, "refsets", "visible", "chat_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		ID       string          `json:"id"`
		Messages json.RawMessage `json:"messages"`
		AGP      bool            `json:"add_generation_prompt"`
		Extra    map[string]any  `json:"extra"`
		Rendered map[string]any  `json:"rendered"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.ID != "qwen_enable_thinking_false" {
			continue
		}
		args := []string{"template", "--model", dir, "--kwargs", `{"enable_thinking": false}`}
		if c.AGP {
			args = append(args, "--generation-prompt")
		}
		env, out := stdinEnv(string(c.Messages))
		if err := Run(context.Background(), env, args); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.Rendered["qwen3"] {
			t.Fatalf("rendered %q, want %q", out, c.Rendered["qwen3"])
		}
		return
	}
	t.Fatalf("case qwen_enable_thinking_false not found in %s", filepath.Join(dir, "..", ".."))
}
