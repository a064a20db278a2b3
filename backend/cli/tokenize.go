package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/whetstone-ai/whetstone/backend/service"
)

// tokenizeCommand prints the token ids of stdin, like llama.cpp's tokenize
// tool, for debugging a model's tokenizer.
func tokenizeCommand() Command {
	return Command{
		Name:    "tokenize",
		Summary: "print the token ids of stdin as a JSON array",
		Run: func(ctx context.Context, env *Env, args []string) error {
			fs := newFlagSet(env, "tokenize", "--model DIR [--special] < text")
			model := fs.String("model", "", "model folder holding tokenizer.json (and tokenizer_config.json), or a hub id")
			special := fs.Bool("special", false, "add the special tokens of the tokenizer's post-processor (e.g. BOS)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *model == "" {
				return fmt.Errorf("%w: tokenize needs --model DIR", ErrUsage)
			}
			text, err := io.ReadAll(env.Stdin)
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			if !utf8.Valid(text) {
				return fmt.Errorf("stdin is not valid UTF-8")
			}
			t, err := openTerminal(ctx, env, termOptions{})
			if err != nil {
				return err
			}
			defer t.Close()
			ids, err := t.svc.Models.Tokenize(service.TokenizeRequest{Model: *model, Text: string(text), Special: *special})
			t.out.end()
			if err != nil {
				return err
			}
			out, err := json.Marshal(ids)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(env.Stdout, strings.TrimSpace(string(out)))
			return err
		},
	}
}
