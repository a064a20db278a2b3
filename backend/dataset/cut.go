package dataset

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rows far longer than the maximum length are cut before they are
// rendered and tokenized: a 100 MB row under a 256-token maximum would
// otherwise be tokenized whole (tens of seconds, gigabytes) to keep 256
// tokens of it.
//
// Why the cut changes nothing that training sees. Let L be the most bytes
// of text one token can stand for (TokenBounded.MaxTokenBytes) and let
// every message's text be cut after B = (maxLen + CutMarginTokens) × L
// bytes (plus its leading white space, see below).
//
//   - The rendered text is unchanged up to the first cut point: the chat
//     template writes the same turns in the same order, and a cut message
//     starts with the same B bytes. The cut point is at least B bytes
//     into the rendered text.
//   - The tokenizer's tokens tile the text in order and each covers at
//     most L bytes, so the first maxLen tokens lie within the first
//     maxLen × L bytes, CutMarginTokens × L bytes (at least
//     CutMarginTokens tokens) before the cut point.
//   - Tokenization is local: pre-tokenization splits the text into
//     pieces encoded one by one, so text after a piece does not change
//     it; only the piece holding the cut point can encode differently, and
//     inside it a BPE merge lost at the cut changes the merges to its left
//     only along a chain of strictly rising merge rank, a few tokens long
//     in real vocabularies. The margin keeps that chain clear of the first
//     maxLen tokens. (The tests check it on both tokenizer families.)
//   - The row still has more than maxLen tokens: the cut message alone
//     holds B bytes, which takes at least B / L = maxLen + CutMarginTokens
//     tokens to tile. So the row is still over the maximum: "drop" drops
//     the same rows, "truncate" keeps the same first maxLen tokens with
//     the same labels. Only the row's total length is then a lower bound
//     (Labeled.Cut says so).
//
// Templates that trim a message (Gemma's and Llama 3's "| trim", Qwen's
// strip('\n')) see the message's ends, so the cut keeps them as they are:
// the leading white space is kept on top of B (up to B bytes of it), and
// a cut that ends in white space is followed by the next character that
// is not, so trimming stops where it does in the whole text. What remains
// inexact: a message opening with more than B bytes of white space under
// a trimming template, and a template that rewrites a message from what
// follows in it (Qwen 3 splits an assistant message at its last
// "</think>"), when that lies beyond the cut point, far into the message.
const CutMarginTokens = 64

// TokenBounded is a Labeler that knows the most bytes of text one token
// can stand for; batch.Labeler is one, through its tokenizer. Labelers
// without it are never handed cut text.
type TokenBounded interface {
	// MaxTokenBytes returns that bound; ok is false when the tokenizer has
	// none (one unknown-token id for any run of unknown characters).
	MaxTokenBytes() (n int, ok bool)
}

// textBudget is the bytes of one message's text that the first maxLen
// tokens can depend on, or 0 for no cut (no maximum, or a labeler that
// cannot bound its tokens).
func textBudget(l Labeler, maxLen int) int {
	tb, ok := l.(TokenBounded)
	if maxLen <= 0 || !ok {
		return 0
	}
	n, ok := tb.MaxTokenBytes()
	if !ok || n <= 0 {
		return 0
	}
	if maxLen > (math.MaxInt/n)-CutMarginTokens {
		return 0 // a budget past any row: nothing to cut
	}
	return (maxLen + CutMarginTokens) * n
}

// cutSides says what cutConversation cut: the text or the prompt's turns
// (Messages), which both sides of a pair share, and each answer.
type cutSides struct{ prompt, chosen, rejected bool }

// cutConversation returns c with every text longer than budget bytes cut
// (see cutText), and what was cut. c itself is left alone: its messages
// are copied when one is cut. A pair's answers are cut like any message:
// each side, prompt and answer, is then rendered as a chat would be.
func cutConversation(c Conversation, budget int) (Conversation, cutSides) {
	var cut cutSides
	if budget <= 0 {
		return c, cut
	}
	if len(c.Text) > budget {
		t := cutText(c.Text, budget)
		c.Text, cut.prompt = t, len(t) < len(c.Text)
	}
	var any bool
	c.Messages, any = cutMessages(c.Messages, budget)
	cut.prompt = cut.prompt || any
	c.Chosen, cut.chosen = cutMessages(c.Chosen, budget)
	c.Rejected, cut.rejected = cutMessages(c.Rejected, budget)
	return c, cut
}

// cutMessages returns msgs with every content over budget bytes cut (a
// copy when one is), and whether one was.
func cutMessages(msgs []Message, budget int) ([]Message, bool) {
	cut := false
	for i, m := range msgs {
		if len(m.Content) <= budget {
			continue
		}
		t := cutText(m.Content, budget)
		if len(t) == len(m.Content) {
			continue
		}
		if !cut {
			msgs = append([]Message(nil), msgs...)
		}
		msgs[i].Content, cut = t, true
	}
	return msgs, cut
}

// cutText cuts s to its leading white space (up to n bytes of it) and n
// bytes more, at a character boundary; when that ends in white space, the
// next character of s that is not white space is added, so that a
// template's trim removes no more of the cut text than of s.
func cutText(s string, n int) string {
	lead := len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
	k := min(lead, n) + n
	if k >= len(s) {
		return s
	}
	for k > 0 && !utf8.RuneStart(s[k]) {
		k--
	}
	kept := s[:k]
	if r, _ := utf8.DecodeLastRuneInString(kept); !unicode.IsSpace(r) {
		return kept
	}
	i := strings.IndexFunc(s[k:], func(r rune) bool { return !unicode.IsSpace(r) })
	if i < 0 {
		return kept // only white space follows: trimmed away in s as well
	}
	_, w := utf8.DecodeRuneInString(s[k+i:])
	return kept + s[k+i:k+i+w]
}

// labelRow labels c as training sees it under maxLen: cut to budget bytes
// per text (see textBudget), then labeled, a labeler panic becoming the
// row's error. Each side of a pair says whether its own text was cut.
func labelRow(l Labeler, c Conversation, budget int) (Labeled, error) {
	c, cut := cutConversation(c, budget)
	lab, err := safeLabel(l, c)
	lab.Cut = cut.prompt || cut.chosen
	if lab.Rejected != nil {
		r := *lab.Rejected // the labeler's own value stays as it made it
		r.Cut = cut.prompt || cut.rejected
		lab.Rejected = &r
	}
	return lab, err
}
