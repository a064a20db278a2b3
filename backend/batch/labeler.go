// Package batch turns standardized conversations into training batches:
// tokens with labels masked to what should be learned, cut to a maximum
// length, packed or padded into fixed shapes, shuffled and split
// deterministically, and cached on disk so a second run starts at once.
package batch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// IgnoreLabel marks a position the loss skips (PyTorch's -100 convention);
// model.IgnoreIndex, which the loss reads, is the same value (checked in
// backend/train/executor).
const IgnoreLabel int32 = -100

// Encoder tokenizes text with byte offsets; *tokenizer.Tokenizer is one.
type Encoder interface {
	EncodeOffsets(text string, addSpecial bool) (ids []int, offsets [][2]int)
}

// Span is a byte range [Start, End) of rendered text.
type Span struct{ Start, End int }

// Template renders a chat to the exact text the model is trained on, with
// the byte spans trained in each assistant turn: its content plus its
// end-of-turn marker (so the model learns to stop) and, for ChatTemplate,
// the whitespace separating it from the next turn, as Unsloth trains it.
type Template interface {
	RenderWithSpans(msgs []dataset.Message) (text string, spans []Span, err error)
}

// Mode says which tokens are trained on.
type Mode string

const (
	// TrainResponses trains on assistant turns only (content, end of turn
	// and the separator after it; see ChatTemplate).
	TrainResponses Mode = "responses"
	// TrainAll trains on every token of the rendered text.
	TrainAll Mode = "all"
)

// Modes lists the training modes, the default first.
var Modes = []Mode{TrainResponses, TrainAll}

// ParseMode accepts a name out of Modes; empty is the default.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Modes[0], nil
	}
	if slices.Contains(Modes, Mode(s)) {
		return Mode(s), nil
	}
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("unknown training mode %q: use %s", s, strings.Join(names, " or "))
}

// Labeler renders, tokenizes and masks conversations. It implements
// dataset.Labeler and is safe for concurrent use when its Encoder and
// Template are.
type Labeler struct {
	enc  Encoder
	tmpl Template
	mode Mode
	// eos is appended (trainable) to raw-text rows so the model learns
	// where a document ends; -1 for none.
	eos int
	// tokenBytes bounds the text one token covers, when the encoder
	// knows it (see MaxTokenBytes); asked once, as it scans the vocabulary.
	tokenBytes int
	bounded    bool
}

// NewLabeler builds a labeler. tmpl may be nil for raw-text datasets;
// eos is the end-of-sequence id appended to raw text (-1 for none).
func NewLabeler(enc Encoder, tmpl Template, mode Mode, eos int) *Labeler {
	if mode == "" {
		mode = TrainResponses
	}
	l := &Labeler{enc: enc, tmpl: tmpl, mode: mode, eos: eos}
	if tb, ok := enc.(interface{ MaxTokenBytes() (int, bool) }); ok {
		l.tokenBytes, l.bounded = tb.MaxTokenBytes()
	}
	return l
}

// MaxTokenBytes is the encoder's bound on the bytes of text one token
// covers (*tokenizer.Tokenizer has one); it makes the labeler a
// dataset.TokenBounded, so rows far over the maximum length are cut
// before they are rendered and tokenized.
func (l *Labeler) MaxTokenBytes() (int, bool) { return l.tokenBytes, l.bounded }

// Label renders c and marks its trainable tokens. The first token is
// never trainable (nothing precedes it, so nothing predicts it). Otherwise a token is trainable
// when its first byte lies inside an assistant span (TrainResponses; the
// rule of chattemplate.TokenMask), or
// always (TrainAll, and raw text, which has no turns to tell apart).
// A preference pair is labeled as two chats, prompt+chosen with
// prompt+rejected in Rejected, training the answers only whatever the
// mode (see labelPair).
func (l *Labeler) Label(c dataset.Conversation) (dataset.Labeled, error) {
	if c.IsText() {
		ids, offs := l.enc.EncodeOffsets(c.Text, true)
		if l.eos >= 0 && (len(ids) == 0 || ids[len(ids)-1] != l.eos) {
			ids = append(ids, l.eos)
			offs = append(offs, [2]int{len(c.Text), len(c.Text)})
		}
		tr := make([]bool, len(ids))
		for i := 1; i < len(tr); i++ {
			tr[i] = true
		}
		return dataset.Labeled{Text: c.Text, IDs: ids, Offsets: offs, Trainable: tr, Spans: [][2]int{{0, len(c.Text)}}}, nil
	}
	if c.IsPreference() {
		return l.labelPair(c)
	}
	return l.labelChat(c.Row, c.Messages, l.mode, 0)
}

// labelChat renders msgs and marks their trainable tokens under mode.
// Under TrainResponses, the first skip assistant turns are not trained
// (a preference pair's prompt may hold earlier answers), so Spans and
// Trainable cover the later turns only.
func (l *Labeler) labelChat(row int, msgs []dataset.Message, mode Mode, skip int) (dataset.Labeled, error) {
	if l.tmpl == nil {
		return dataset.Labeled{}, fmt.Errorf("row %d: a chat row needs a chat template (the model folder has none)", row)
	}
	text, spans, err := l.tmpl.RenderWithSpans(msgs)
	if err != nil {
		return dataset.Labeled{}, fmt.Errorf("row %d: chat template: %w", row, err)
	}
	// The template writes the special tokens (e.g. <bos>) itself.
	ids, offs := l.enc.EncodeOffsets(text, false)
	tr := make([]bool, len(ids))
	out := dataset.Labeled{Text: text, IDs: ids, Offsets: offs, Trainable: tr}
	if mode == TrainAll {
		for i := 1; i < len(tr); i++ {
			tr[i] = true
		}
		out.Spans = [][2]int{{0, len(text)}}
		return out, nil
	}
	if skip > 0 {
		if skip > len(spans) {
			return dataset.Labeled{}, fmt.Errorf("row %d: chat template: %d assistant spans for a prompt with %d assistant turns", row, len(spans), skip)
		}
		spans = spans[skip:]
	}
	out.Spans = make([][2]int, len(spans))
	for i, s := range spans {
		out.Spans[i] = [2]int{s.Start, s.End}
	}
	// Offsets and spans are both sorted: one merge pass.
	si := 0
	for i, off := range offs {
		if off[1] <= off[0] {
			continue // an inserted special token covers no text
		}
		for si < len(spans) && spans[si].End <= off[0] {
			si++
		}
		if si == len(spans) {
			break
		}
		tr[i] = off[0] >= spans[si].Start && off[0] < spans[si].End
	}
	return out, nil
}
