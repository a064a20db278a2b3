package batch

import (
	"slices"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// pairConv is a preference row: prompt turns alternating user/assistant
// (ending with the user's), then one chosen and one rejected answer.
func pairConv(row int, chosen, rejected string, prompt ...string) dataset.Conversation {
	c := conv(row, prompt...)
	c.Chosen = []dataset.Message{{Role: dataset.RoleAssistant, Content: chosen}}
	c.Rejected = []dataset.Message{{Role: dataset.RoleAssistant, Content: rejected}}
	return c
}

// trainedText joins the text of a labeled row's trainable tokens.
func trainedText(lab dataset.Labeled) string {
	var b strings.Builder
	for i, tr := range lab.Trainable {
		if tr {
			b.WriteString(lab.Text[lab.Offsets[i][0]:lab.Offsets[i][1]])
		}
	}
	return b.String()
}

// A pair on Gemma 3's real template and tokenizer: each side is rendered
// exactly as the chat of its turns would be for SFT, and only its answer
// (with <end_of_turn> and the newline after it) is trained, never the
// prompt's earlier answer, whatever the labeler's mode.
func TestPairLabelsGemma3(t *testing.T) {
	tok, tmpl := gemma3(t)
	prompt := []dataset.Message{
		{Role: dataset.RoleSystem, Content: "Answer in one word."},
		{Role: dataset.RoleUser, Content: "What is 2+2?"},
		{Role: dataset.RoleAssistant, Content: "Four."},
		{Role: dataset.RoleUser, Content: "And 3+3?"},
	}
	chosen := []dataset.Message{{Role: dataset.RoleAssistant, Content: "Six."}}
	rejected := []dataset.Message{{Role: dataset.RoleAssistant, Content: "Let me think about this at some length: it might be seven."}}
	c := dataset.Conversation{Row: 4, Messages: prompt, Chosen: chosen, Rejected: rejected}
	sft := NewLabeler(tok, tmpl, TrainResponses, -1)
	for _, mode := range Modes {
		lab, err := NewLabeler(tok, tmpl, mode, -1).Label(c)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if lab.Rejected == nil {
			t.Fatalf("%s: the pair has no rejected side", mode)
		}
		for _, side := range []struct {
			name   string
			lab    dataset.Labeled
			answer []dataset.Message
		}{{"chosen", lab, chosen}, {"rejected", *lab.Rejected, rejected}} {
			want, err := sft.Label(dataset.Conversation{Row: 4, Messages: append(slices.Clone(prompt), side.answer...)})
			if err != nil {
				t.Fatal(err)
			}
			if side.lab.Text != want.Text || !slices.Equal(side.lab.IDs, want.IDs) {
				t.Fatalf("%s %s side: rendered %q, the SFT chat of the same turns %q", mode, side.name, side.lab.Text, want.Text)
			}
			checkMask(t, side.lab, 4)
			if got, w := trainedText(side.lab), side.answer[0].Content+"<end_of_turn>\n"; got != w {
				t.Fatalf("%s %s side: trained %q, want only the answer %q", mode, side.name, got, w)
			}
			// The SFT labels train the earlier answer too; the pair's are
			// exactly those from the answer on.
			at := strings.LastIndex(want.Text, side.answer[0].Content)
			for i, tr := range side.lab.Trainable {
				if w := want.Trainable[i] && want.Offsets[i][0] >= at; tr != w {
					t.Fatalf("%s %s side: token %d trainable=%v, want %v", mode, side.name, i, tr, w)
				}
			}
		}
		if lab.Rejected.Rejected != nil {
			t.Fatal("the rejected side has a rejected side")
		}
	}
}

// Pairs that cannot be labeled say why, naming the row; raw text and
// chats are untouched by the pair path.
func TestPairLabelErrors(t *testing.T) {
	l := NewLabeler(byteEncoder{}, gemmaLike{}, TrainAll, -1)
	noRejected := pairConv(7, "a", "b", "q")
	noRejected.Rejected = nil
	userAnswer := pairConv(8, "a", "b", "q")
	userAnswer.Rejected[0].Role = dataset.RoleUser
	for _, tc := range []struct {
		c    dataset.Conversation
		want string
	}{
		{noRejected, "row 7: a preference pair needs both a chosen and a rejected answer"},
		{userAnswer, "row 8: the rejected answer has no assistant turn"},
	} {
		if _, err := l.Label(tc.c); err == nil || err.Error() != tc.want {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	if _, err := NewLabeler(byteEncoder{}, nil, TrainAll, -1).Label(pairConv(9, "a", "b", "q")); err == nil || !strings.Contains(err.Error(), "row 9") {
		t.Errorf("a pair without a template: %v", err)
	}
	// A chat in TrainAll mode still trains everything but the first token.
	all, err := l.Label(conv(1, "hi", "hello"))
	if err != nil || countTrue(all.Trainable) != len(all.IDs)-1 || all.Rejected != nil {
		t.Fatalf("chat under TrainAll: %v", err)
	}
}
