package dataset

import (
	"reflect"
	"strings"
	"testing"
)

// byteLabeler renders "role: content\n" per turn, one token per byte, and
// trains the assistant contents; a pair's answer only, with the rejected
// side in Labeled.Rejected, as backend/batch labels pairs. Each token
// stands for one byte, so it can bound its tokens (TokenBounded).
type byteLabeler struct{}

func (byteLabeler) MaxTokenBytes() (int, bool) { return 1, true }

func (byteLabeler) Label(c Conversation) (Labeled, error) {
	if c.IsPreference() {
		chosen := byteLabel(c.Messages, c.Chosen)
		rejected := byteLabel(c.Messages, c.Rejected)
		chosen.Rejected = &rejected
		return chosen, nil
	}
	return byteLabel(nil, c.Messages), nil
}

func byteLabel(prompt, answer []Message) Labeled {
	var b strings.Builder
	var spans [][2]int
	for i, m := range append(append([]Message(nil), prompt...), answer...) {
		b.WriteString(m.Role + ": ")
		start := b.Len()
		b.WriteString(m.Content)
		if m.Role == RoleAssistant && i >= len(prompt) {
			spans = append(spans, [2]int{start, b.Len()})
		}
		b.WriteString("\n")
	}
	text := b.String()
	lab := Labeled{Text: text, Spans: spans}
	for i := 0; i < len(text); i++ {
		lab.IDs = append(lab.IDs, int(text[i]))
		lab.Offsets = append(lab.Offsets, [2]int{i, i + 1})
		in := false
		for _, s := range spans {
			in = in || i >= s[0] && i < s[1]
		}
		lab.Trainable = append(lab.Trainable, in)
	}
	return lab
}

// Two pairs, rendered as "user: q\n" + "assistant: <answer>\n" a side:
// row 1 is 24 tokens chosen, 30 rejected; row 2 is 22 and 22.
const twoPairs = `{"prompt":"q","chosen":"aaaa","rejected":"bbbbbbbbbb"}` + "\n" +
	`{"prompt":"q2","chosen":"c","rejected":"d"}` + "\n"

// Statistics of pairs count both sides' tokens, and a pair's length is
// its longer side's, under every length policy.
func TestStatsOfPairs(t *testing.T) {
	path := writeFile(t, "pairs.jsonl", twoPairs)
	type want struct {
		overMax, kept, truncated int
		trainable                int64
		dropped                  map[string]int
	}
	cases := []struct {
		name   string
		maxLen int
		policy Truncation
		want   want
	}{
		{"no maximum", 0, TruncateRight, want{0, 2, 0, 4 + 10 + 1 + 1, map[string]int{}}},
		// The rejected side of row 1 keeps 25 tokens: 6 of its 10 b's.
		{"truncate at 25", 25, TruncateRight, want{1, 2, 1, 4 + 6 + 1 + 1, map[string]int{}}},
		{"drop over 25", 25, DropLong, want{1, 1, 0, 1 + 1, map[string]int{DropTooLong: 1}}},
		// 10 tokens hold no answer's token on either side of either pair.
		{"prompt fills 10", 10, TruncateRight, want{2, 0, 0, 0, map[string]int{DropPromptFills: 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := ComputeStats(t.Context(), path, Options{}, byteLabeler{}, StatsOptions{MaxLen: c.maxLen, Truncation: c.policy, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if st.Pairs != 2 || st.Conversations != 2 || st.Tokens != 24+30+22+22 ||
				st.MinLen != 22 || st.MaxLenSeen != 30 || st.MeanLen != 26 || st.Roles[RoleUser] != 2 || st.Roles[RoleAssistant] != 4 ||
				!reflect.DeepEqual(st.Turns, []CountBin{{2, 2}}) || !reflect.DeepEqual(st.Lengths, []RangeBin{{0, 64, 2}}) {
				t.Fatalf("pair stats %+v", st)
			}
			got := want{st.OverMaxLen, st.Kept, st.Truncated, st.TrainableTokens, st.Dropped}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// A pair previews its prompt, both answers and both sides' tokens, with
// what the maximum length cuts of each.
func TestPreviewOfPairs(t *testing.T) {
	path := writeFile(t, "pairs.jsonl", twoPairs)
	page, err := Preview(t.Context(), path, Options{}, byteLabeler{}, PreviewOptions{MaxLen: 25})
	if err != nil {
		t.Fatal(err)
	}
	r := page.Rows[0]
	if !reflect.DeepEqual(r.Messages, []Message{u("q")}) || !reflect.DeepEqual(r.Chosen, []Message{a("aaaa")}) ||
		!reflect.DeepEqual(r.Rejected, []Message{a("bbbbbbbbbb")}) {
		t.Fatalf("row %+v", r)
	}
	if r.Text != "user: q\nassistant: aaaa\n" || r.Trainable != 4 || r.Truncated || r.RejectedSide == nil {
		t.Fatalf("chosen side %+v", r)
	}
	rs := r.RejectedSide
	var trained, cut string
	for _, tk := range rs.Tokens {
		if tk.Trainable && !tk.Cut {
			trained += tk.Text
		}
		if tk.Cut {
			cut += tk.Text
		}
	}
	if rs.Text != "user: q\nassistant: bbbbbbbbbb\n" || rs.Trainable != 6 || !rs.Truncated || trained != "bbbbbb" || cut != "bbbb\n" ||
		!reflect.DeepEqual(rs.Spans, [][2]int{{19, 29}}) {
		t.Fatalf("rejected side %+v", rs)
	}
	// Without a labeler, the pair's turns only.
	plain, err := Preview(t.Context(), path, Options{}, nil, PreviewOptions{})
	if err != nil || plain.Rows[1].Rejected[0].Content != "d" || plain.Rows[1].RejectedSide != nil || plain.Rows[1].Tokens != nil {
		t.Fatalf("plain preview %v %+v", err, plain.Rows[1])
	}
}

// An answer far over the maximum length is cut before labeling like any
// message, and only its side says so.
func TestPairAnswerCutBeforeLabeling(t *testing.T) {
	long := strings.Repeat("z", 500)
	path := writeFile(t, "long.jsonl", `{"prompt":"q","chosen":"a","rejected":"`+long+`"}`+"\n")
	// Budget: (25 + CutMarginTokens) bytes of each text.
	page, err := Preview(t.Context(), path, Options{}, byteLabeler{}, PreviewOptions{MaxLen: 25})
	if err != nil {
		t.Fatal(err)
	}
	r := page.Rows[0]
	if r.TextCut || !r.RejectedSide.TextCut || !strings.HasSuffix(r.RejectedSide.Text, strings.Repeat("z", 25+CutMarginTokens)+"\n") ||
		strings.Contains(r.RejectedSide.Text, strings.Repeat("z", 26+CutMarginTokens)) || r.Rejected[0].Content != long {
		t.Fatalf("cut: chosen %v, rejected %v, %d bytes", r.TextCut, r.RejectedSide.TextCut, len(r.RejectedSide.Text))
	}
	st, err := ComputeStats(t.Context(), path, Options{}, byteLabeler{}, StatsOptions{MaxLen: 25, Truncation: TruncateRight})
	if err != nil || st.TextCut != 1 || st.OverMaxLen != 1 || st.Kept != 1 || st.Truncated != 1 {
		t.Fatalf("stats %v %+v", err, st)
	}
}

func TestFitPair(t *testing.T) {
	tr := func(s string) []bool { // "." a prompt token, "x" an answer token
		out := make([]bool, len(s))
		for i, c := range s {
			out[i] = c == 'x'
		}
		return out
	}
	cases := []struct {
		name             string
		chosen, rejected string
		maxLen           int
		policy           Truncation
		kc, kr           int
		truncated        bool
		drop             string
	}{
		{"both fit", "..xx", "..xxx", 5, TruncateRight, 4, 5, false, ""},
		{"one side truncated", "..xx", "..xxxxx", 5, TruncateRight, 4, 5, true, ""},
		{"one side too long to keep", "..xx", "..xxxxx", 5, DropLong, 0, 0, false, DropTooLong},
		{"prompt fills one side", "..xx", "......xx", 5, TruncateRight, 0, 0, false, DropPromptFills},
		{"an answer with nothing to train", "....", "..xx", 0, TruncateRight, 0, 0, false, DropNothingToTrain},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kc, kr, truncated, drop := FitPair(tr(c.chosen), tr(c.rejected), c.maxLen, c.policy)
			if kc != c.kc || kr != c.kr || truncated != c.truncated || drop != c.drop {
				t.Fatalf("got %d %d %v %q", kc, kr, truncated, drop)
			}
		})
	}
}
