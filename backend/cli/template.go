package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/whetstone-ai/whetstone/backend/service"
)

// templateCommand renders a model's chat template for messages read on
// stdin, exactly as transformers' apply_chat_template(tokenize=False).
func templateCommand() Command {
	return Command{
		Name:    "template",
		Summary: "render a model's chat template for a JSON message list on stdin",
		Run: func(ctx context.Context, env *Env, args []string) error {
			fs := newFlagSet(env, "template", "--model DIR [--generation-prompt] [--kwargs JSON] [--spans] < messages.json")
			model := fs.String("model", "", "model folder holding tokenizer.json and tokenizer_config.json, or a hub id")
			gen := fs.Bool("generation-prompt", false, "append the assistant header (add_generation_prompt)")
			kwargs := fs.String("kwargs", "", `extra template variables as a JSON object, e.g. {"enable_thinking": false}`)
			spans := fs.Bool("spans", false, `print {"text", "spans"} as JSON: the byte ranges trained on with train-on-responses-only`)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *model == "" {
				return fmt.Errorf("%w: template needs --model DIR", ErrUsage)
			}
			if *kwargs != "" {
				var obj map[string]any
				if err := json.Unmarshal([]byte(*kwargs), &obj); err != nil {
					return fmt.Errorf("%w: --kwargs must be a JSON object: %v", ErrUsage, err)
				}
			}
			in, err := io.ReadAll(env.Stdin)
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			t, err := openTerminal(ctx, env, termOptions{})
			if err != nil {
				return err
			}
			defer t.Close()
			res, err := t.svc.Models.Template(service.TemplateRequest{
				Model: *model, Messages: string(in), AddGenerationPrompt: *gen, Kwargs: *kwargs, Spans: *spans,
			})
			t.out.end()
			if err != nil {
				return err
			}
			if *spans {
				enc := json.NewEncoder(env.Stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			_, err = io.WriteString(env.Stdout, res.Text)
			return err
		},
	}
}
