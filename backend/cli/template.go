package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// templateCommand renders a model's chat template for messages read on
// stdin, exactly as transformers' apply_chat_template(tokenize=False).
func templateCommand() Command {
	return Command{
		Name:    "template",
		Summary: "render a model's chat template for a JSON message list on stdin",
		Run: func(ctx context.Context, env *Env, args []string) error {
			fs := newFlagSet(env, "template", "--model DIR [--generation-prompt] [--kwargs JSON] [--spans] < messages.json")
			model := fs.String("model", "", "model folder holding tokenizer.json and tokenizer_config.json")
			gen := fs.Bool("generation-prompt", false, "append the assistant header (add_generation_prompt)")
			kwargs := fs.String("kwargs", "", `extra template variables as a JSON object, e.g. {"enable_thinking": false}`)
			spans := fs.Bool("spans", false, `print {"text", "spans"} as JSON: the byte ranges trained on with train-on-responses-only`)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *model == "" {
				return fmt.Errorf("%w: template needs --model DIR", ErrUsage)
			}
			opts := chattemplate.Options{AddGenerationPrompt: *gen}
			if *kwargs != "" {
				v, err := chattemplate.DecodeJSON([]byte(*kwargs))
				if err != nil {
					return fmt.Errorf("%w: --kwargs: %v", ErrUsage, err)
				}
				d, ok := v.(*chattemplate.Dict)
				if !ok {
					return fmt.Errorf("%w: --kwargs must be a JSON object", ErrUsage)
				}
				opts.Extra = map[string]any{}
				for _, k := range d.Keys() {
					opts.Extra[k], _ = d.Get(k)
				}
			}
			tk, err := tokenizer.Load(*model)
			if err != nil {
				return err
			}
			r, err := chattemplate.NewRenderer(tk.Config())
			if err != nil {
				return fmt.Errorf("%s: %w", *model, err)
			}
			in, err := io.ReadAll(env.Stdin)
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			msgs, err := chattemplate.ParseMessages(in)
			if err != nil {
				return fmt.Errorf("stdin: %w", err)
			}
			// Templates index messages[0]; with none they fail with a
			// message about an undefined name that says nothing useful.
			if len(msgs) == 0 {
				return fmt.Errorf("stdin: the message list is empty: give at least one {\"role\", \"content\"} message")
			}
			if *spans {
				text, sp, err := r.RenderWithSpans(msgs, opts)
				if err != nil {
					return fmt.Errorf("chat template of %s: %w", *model, err)
				}
				type span struct {
					Start   int    `json:"start"`
					End     int    `json:"end"`
					Message int    `json:"message"`
					Text    string `json:"text"`
				}
				out := struct {
					Text  string `json:"text"`
					Spans []span `json:"spans"`
				}{Text: text, Spans: []span{}}
				for _, s := range sp {
					out.Spans = append(out.Spans, span{s.Start, s.End, s.Message, text[s.Start:s.End]})
				}
				enc := json.NewEncoder(env.Stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			text, err := r.Render(msgs, opts)
			if err != nil {
				return fmt.Errorf("chat template of %s: %w", *model, err)
			}
			_, err = io.WriteString(env.Stdout, text)
			return err
		},
	}
}
