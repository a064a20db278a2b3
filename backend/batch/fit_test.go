package batch

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// gemmaLike's layout around a single-turn pair: 60 bytes of prompt
// besides the question, and the answer followed by 14 bytes, 13 of them
// trained (gemmaLike's spans end at <end_of_turn>).
const (
	promptOverhead = len("<bos><start_of_turn>user\n<end_of_turn>\n<start_of_turn>model\n")
	answerTail     = len("<end_of_turn>\n")
	answerTrained  = len("<end_of_turn>")
)

func TestPairTruncation(t *testing.T) {
	longRejected := pairConv(1, "short", strings.Repeat("r", 200), "q")
	longPrompt := pairConv(2, "a", "b", strings.Repeat("q", 200))
	short := pairConv(3, "yes", "no", "q")
	l := NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1)
	src := func() *dataset.SliceSource {
		return &dataset.SliceSource{Conversations: []dataset.Conversation{longRejected, longPrompt, short}}
	}
	const maxLen = 100
	tok, err := Tokenize(context.Background(), src(), l, TokenizeOptions{MaxLen: maxLen, Truncation: dataset.TruncateRight})
	if err != nil {
		t.Fatal(err)
	}
	rep := tok.Report
	if len(tok.Examples) != 2 || rep.Rows != 3 || rep.Examples != 2 || rep.Truncated != 1 || rep.Dropped[dataset.DropPromptFills] != 1 || len(rep.Dropped) != 1 {
		t.Fatalf("truncate: %d examples, report %+v", len(tok.Examples), rep)
	}
	if len(rep.Problems) != 1 || !strings.HasPrefix(rep.Problems[0], "row 2: the prompt fills max_seq_len (chosen 275 tokens, rejected 275 tokens)") {
		t.Fatalf("problems %q", rep.Problems)
	}
	first := tok.Examples[0]
	chosenLen := promptOverhead + 1 + len("short") + answerTail
	if first.Row != 1 || first.Rejected == nil || first.Rejected.Row != 1 || first.Len() != chosenLen || first.Rejected.Len() != maxLen {
		t.Fatalf("row 1 kept as %d + %v tokens, want %d + %d", first.Len(), first.Rejected, chosenLen, maxLen)
	}
	// The kept rejected side is its first maxLen tokens, the answer's
	// trained from where it starts.
	for i, tr := range first.Rejected.Trainable {
		inAnswer := i >= promptOverhead+1
		if tr != inAnswer {
			t.Fatalf("rejected token %d: trainable %v, want %v", i, tr, inAnswer)
		}
		if !inAnswer && first.Rejected.Tokens[i] != first.Tokens[i] {
			t.Fatalf("rejected token %d differs from the chosen side's inside the prompt", i)
		}
	}
	var tokens, trained int64
	for _, e := range tok.Examples {
		tokens += int64(e.Len() + e.Rejected.Len())
		trained += int64(countTrue(e.Trainable) + countTrue(e.Rejected.Trainable))
	}
	if rep.Tokens != tokens || rep.TrainableTokens != trained || trained != int64(len("short")+answerTrained+maxLen-promptOverhead-1+len("yes")+len("no")+2*answerTrained) {
		t.Fatalf("report counts %d tokens, %d trained; the examples hold %d, %d trained", rep.Tokens, rep.TrainableTokens, tokens, trained)
	}

	tok, err = Tokenize(context.Background(), src(), l, TokenizeOptions{MaxLen: maxLen, Truncation: dataset.DropLong})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Examples) != 1 || tok.Examples[0].Row != 3 || tok.Report.Dropped[dataset.DropTooLong] != 2 || tok.Report.Truncated != 0 {
		t.Fatalf("drop: %+v", tok.Report)
	}
	// A pair whose chosen side alone is too long is dropped whole too.
	longChosen := pairConv(4, strings.Repeat("c", 200), "no", "q")
	tok, err = Tokenize(context.Background(), &dataset.SliceSource{Conversations: []dataset.Conversation{longChosen, short}}, l,
		TokenizeOptions{MaxLen: maxLen, Truncation: dataset.DropLong})
	if err != nil || len(tok.Examples) != 1 || tok.Examples[0].Row != 3 {
		t.Fatalf("long chosen side under drop: %v", err)
	}
	// A side whose answer was cut before labeling (far over the maximum)
	// is reported as a lower bound, the other side exactly.
	huge := pairConv(6, "yes", strings.Repeat("n", 5000), "q")
	tok, err = Tokenize(context.Background(), &dataset.SliceSource{Conversations: []dataset.Conversation{huge, short}},
		NewLabeler(lengthBounded{}, gemmaLike{}, TrainResponses, -1), TokenizeOptions{MaxLen: maxLen, Truncation: dataset.DropLong})
	if err != nil || len(tok.Report.Problems) != 1 ||
		!strings.HasPrefix(tok.Report.Problems[0], "row 6: "+dataset.DropTooLong+" (chosen 78 tokens, rejected more than ") {
		t.Fatalf("huge rejected answer: %v, problems %q", err, tok.Report.Problems)
	}
}

// lengthBounded is byteEncoder telling the labeler that a token covers
// at most one byte, which lets LabelParallel cut rows far over the
// maximum before labeling them.
type lengthBounded struct{ byteEncoder }

func (lengthBounded) MaxTokenBytes() (int, bool) { return 1, true }

// SplitLong cuts a long row into exact consecutive MaxLen-token pieces
// with their labels, the whole row's tokens in order, and counts the
// extra pieces; nothing is cut before labeling.
func TestSplitLong(t *testing.T) {
	const maxLen = 10
	text := strings.Repeat("abcdefghij", 50)[:497] // 1 + 497 + eos = 499 tokens
	rows := []dataset.Conversation{{Row: 1, Text: text}, {Row: 2, Text: "short"}, {Row: 3, Text: strings.Repeat("x", 18)}}
	l := NewLabeler(lengthBounded{}, gemmaLike{}, TrainAll, 2)
	tok, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: rows}, l,
		TokenizeOptions{MaxLen: maxLen, Truncation: dataset.DropLong, SplitLong: true})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := l.Label(rows[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.IDs) != 499 {
		t.Fatalf("row 1 labels as %d tokens, want 499", len(whole.IDs))
	}
	// Row 1: 49 full pieces and one of 9. Row 2: 7 tokens, one piece.
	// Row 3: 20 tokens, two full pieces.
	var pieces []Example
	for _, e := range tok.Examples {
		if e.Row == 1 {
			pieces = append(pieces, e)
		}
	}
	if len(pieces) != 50 || len(tok.Examples) != 53 || tok.Report.Pieces != 50 || tok.Report.Examples != 53 ||
		tok.Report.Rows != 3 || tok.Report.Truncated != 0 || len(tok.Report.Dropped) != 0 {
		t.Fatalf("%d pieces of row 1, %d examples, report %+v", len(pieces), len(tok.Examples), tok.Report)
	}
	at := 0
	for k, p := range pieces {
		want := min(maxLen, len(whole.IDs)-at)
		if p.Len() != want {
			t.Fatalf("piece %d has %d tokens, want %d", k, p.Len(), want)
		}
		for i, id := range p.Tokens {
			if int(id) != whole.IDs[at+i] || p.Trainable[i] != (i > 0 && whole.Trainable[at+i]) {
				t.Fatalf("piece %d token %d: %d trainable %v, the row's token %d is %d", k, i, id, p.Trainable[i], at+i, whole.IDs[at+i])
			}
		}
		at += p.Len()
	}
	if at != len(whole.IDs) {
		t.Fatalf("pieces hold %d of the row's %d tokens", at, len(whole.IDs))
	}
	if tok.Report.Tokens != 499+7+20 || tok.Report.TrainableTokens != 499-50+6+18 {
		t.Fatalf("report: %d tokens, %d trained", tok.Report.Tokens, tok.Report.TrainableTokens)
	}
	// A one-token tail has nothing to train: it is left out.
	tail := []dataset.Conversation{{Row: 1, Text: strings.Repeat("y", 19)}} // 21 tokens
	tok, err = Tokenize(context.Background(), &dataset.SliceSource{Conversations: tail}, l, TokenizeOptions{MaxLen: maxLen, SplitLong: true})
	if err != nil || len(tok.Examples) != 2 || tok.Report.Pieces != 1 || tok.Report.Tokens != 20 {
		t.Fatalf("one-token tail: %v, report %+v", err, tok.Report)
	}
	// Pairs are never split: the length policy applies to them.
	pair := pairConv(5, "yes", strings.Repeat("n", 30), "q")
	tok, err = Tokenize(context.Background(), &dataset.SliceSource{Conversations: []dataset.Conversation{pair}},
		NewLabeler(lengthBounded{}, gemmaLike{}, TrainResponses, -1), TokenizeOptions{MaxLen: 80, SplitLong: true})
	if err != nil || len(tok.Examples) != 1 || tok.Examples[0].Len() != promptOverhead+1+3+answerTail || tok.Examples[0].Rejected.Len() != 80 || tok.Report.Truncated != 1 || tok.Report.Pieces != 0 {
		t.Fatalf("pair under SplitLong: %v, report %+v", err, tok.Report)
	}
}

// A chat split into pieces keeps its responses-only labels: pieces of
// prompt alone are left out, the answers' tokens are all still trained.
func TestSplitLongChat(t *testing.T) {
	c := conv(1, strings.Repeat("q", 40), strings.Repeat("a", 25), strings.Repeat("Q", 40), strings.Repeat("A", 25))
	l := NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1)
	whole, _ := l.Label(c)
	tok, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: []dataset.Conversation{c}}, l, TokenizeOptions{MaxLen: 16, SplitLong: true})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []int32
	for _, e := range tok.Examples {
		for i, tr := range e.Trainable {
			if tr {
				got = append(got, e.Tokens[i])
			}
		}
	}
	for i, tr := range whole.Trainable {
		// A piece's first token is no target.
		if tr && i%16 != 0 {
			want = append(want, int32(whole.IDs[i]))
		}
	}
	if !slices.Equal(got, want) || len(tok.Examples) >= (len(whole.IDs)+15)/16 {
		t.Fatalf("%d pieces of %d tokens; trained %d tokens, want %d", len(tok.Examples), len(whole.IDs), len(got), len(want))
	}
}
