package batch

import (
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// ForTokenizer labels with a model's own tokenizer and chat template, as
// training does. The labeler is always usable (raw-text rows need no
// template); templateErr says why chat rows cannot be rendered (the model has
// no chat template, or it does not parse), and each caller decides whether
// that is fatal.
func ForTokenizer(tk *tokenizer.Tokenizer, mode Mode) (l *Labeler, templateErr error) {
	var tmpl Template
	r, err := chattemplate.NewRenderer(tk.Config())
	if err == nil {
		tmpl = ChatTemplate{Renderer: r}
	}
	return NewLabeler(tk, tmpl, mode, tk.Config().EOSID), err
}
