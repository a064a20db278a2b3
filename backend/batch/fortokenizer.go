package batch

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// labelingOf is the one place a model's tokenizer becomes what labeling
// needs: the tokenizer as encoder, its own chat template and its EOS id.
// The dataset preview (ForTokenizer) and training (Config.UseTokenizer)
// both take it from here, so a preview labels exactly as training does.
// templateErr says why chat rows cannot be rendered (no chat template, or
// one that does not parse); tmpl is then nil.
func labelingOf(tk *tokenizer.Tokenizer) (enc Encoder, tmpl Template, eos int, templateErr error) {
	r, err := chattemplate.NewRenderer(tk.Config())
	if err == nil {
		tmpl = ChatTemplate{Renderer: r}
	}
	return tk, tmpl, tk.Config().EOSID, err
}

// ForTokenizer labels with a model's own tokenizer and chat template, as
// training does. The labeler is always usable (raw-text rows need no
// template); templateErr says why chat rows cannot be rendered, and each
// caller decides whether that is fatal.
func ForTokenizer(tk *tokenizer.Tokenizer, mode Mode) (l *Labeler, templateErr error) {
	enc, tmpl, eos, err := labelingOf(tk)
	return NewLabeler(enc, tmpl, mode, eos), err
}

// UseTokenizer sets c's encoder, chat template and EOS from a model's
// tokenizer, as ForTokenizer labels. Training needs the template, so one
// that does not parse is an error here.
func (c *Config) UseTokenizer(tk *tokenizer.Tokenizer) error {
	enc, tmpl, eos, err := labelingOf(tk)
	if err != nil {
		return fmt.Errorf("model's chat template: %w", err)
	}
	c.Encoder, c.Template, c.EOS = enc, tmpl, eos
	return nil
}
