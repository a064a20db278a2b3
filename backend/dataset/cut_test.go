package dataset

import (
	"strings"
	"testing"
	"unicode/utf8"
)

type boundedLabeler struct{ n int }

func (boundedLabeler) Label(c Conversation) (Labeled, error) { return Labeled{Text: c.Text}, nil }
func (b boundedLabeler) MaxTokenBytes() (int, bool)          { return b.n, b.n > 0 }

type plainLabeler struct{}

func (plainLabeler) Label(c Conversation) (Labeled, error) { return Labeled{}, nil }

func TestTextBudget(t *testing.T) {
	if b := textBudget(boundedLabeler{10}, 256); b != (256+CutMarginTokens)*10 {
		t.Errorf("budget %d", b)
	}
	for _, c := range []struct {
		l      Labeler
		maxLen int
	}{{boundedLabeler{10}, 0}, {boundedLabeler{0}, 256}, {plainLabeler{}, 256}, {boundedLabeler{1 << 40}, 1 << 40}} {
		if b := textBudget(c.l, c.maxLen); b != 0 {
			t.Errorf("%T %d: budget %d, want none", c.l, c.maxLen, b)
		}
	}
}

func TestCutText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abcdefgh", "abcd"},
		{"ab日本語", "ab"},                                   // "日" would straddle byte 4: backed off to its start
		{"  abcdefgh", "  abcd"},                          // leading white space kept on top
		{"ab  \n  cdef", "ab  c"},                         // ends in white space: the next character follows
		{"abcd     ", "abcd"},                             // only white space after: trimmed in the whole text too
		{"abc", "abc"},                                    // short enough
		{strings.Repeat(" ", 20), strings.Repeat(" ", 8)}, // all white space: 4 + up to 4 leading
	}
	for _, c := range cases {
		if got := cutText(c.in, 4); got != c.want || !utf8.ValidString(got) {
			t.Errorf("cutText(%q, 4) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCutConversationLeavesItsInputAlone(t *testing.T) {
	long := strings.Repeat("x", 100)
	c := Conversation{Row: 3, Messages: []Message{{RoleUser, "q"}, {RoleAssistant, long}}}
	got, cut := cutConversation(c, 10)
	if !cut.prompt || got.Messages[1].Content != long[:10] || c.Messages[1].Content != long || got.Messages[0].Content != "q" {
		t.Fatalf("cut %v: %+v, input now %+v", cut, got, c)
	}
	if _, cut := cutConversation(c, 1000); cut != (cutSides{}) {
		t.Fatal("a short conversation was cut")
	}
	text, cut := cutConversation(Conversation{Text: long}, 10)
	if !cut.prompt || text.Text != long[:10] {
		t.Fatalf("raw text: %+v", text)
	}
	// A pair's answers are cut like messages, each side saying so.
	pair := Conversation{Messages: []Message{{RoleUser, "q"}}, Chosen: []Message{{RoleAssistant, "a"}}, Rejected: []Message{{RoleAssistant, long}}}
	got, cut = cutConversation(pair, 10)
	if cut != (cutSides{rejected: true}) || got.Rejected[0].Content != long[:10] || pair.Rejected[0].Content != long || got.Chosen[0].Content != "a" {
		t.Fatalf("pair cut %+v: %+v", cut, got)
	}
	lab, _ := labelRow(boundedLabeler{1}, Conversation{Text: long}, 10)
	if !lab.Cut || lab.Text != long[:10] {
		t.Fatalf("labelRow: %+v", lab)
	}
}
