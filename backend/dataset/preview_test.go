package dataset_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// runeEncoder tokenizes one token per rune, with byte offsets.
type runeEncoder struct{}

func (runeEncoder) EncodeOffsets(text string, addSpecial bool) ([]int, [][2]int) {
	var ids []int
	var offs [][2]int
	for i, r := range text {
		ids = append(ids, int(r))
		offs = append(offs, [2]int{i, i + len(string(r))})
	}
	return ids, offs
}

// plainChat renders "role: content\n" and marks assistant contents.
type plainChat struct{}

func (plainChat) RenderWithSpans(msgs []dataset.Message) (string, []batch.Span, error) {
	var b strings.Builder
	var spans []batch.Span
	for _, m := range msgs {
		b.WriteString(m.Role + ": ")
		start := b.Len()
		b.WriteString(m.Content)
		if m.Role == dataset.RoleAssistant {
			spans = append(spans, batch.Span{Start: start, End: b.Len()})
		}
		b.WriteString("\n")
	}
	return b.String(), spans, nil
}

func TestPreviewPagesAndHighlights(t *testing.T) {
	var rows strings.Builder
	for i := 0; i < 25; i++ {
		rows.WriteString(`{"messages":[{"role":"user","content":"q` + string(rune('a'+i)) + `"},{"role":"assistant","content":"é` + string(rune('a'+i)) + `"}]}` + "\n")
	}
	rows.WriteString("{broken\n")
	path := filepath.Join(t.TempDir(), "p.jsonl")
	os.WriteFile(path, []byte(rows.String()), 0o644)
	l := batch.NewLabeler(runeEncoder{}, plainChat{}, batch.TrainResponses, -1)
	page, err := dataset.Preview(t.Context(), path, dataset.Options{}, l, dataset.PreviewOptions{Page: 2, PageSize: 10, MaxLen: 12})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 5 || page.HasMore || page.Rows[0].Row != 21 || len(page.Problems) != 1 {
		t.Fatalf("page 2: %d rows, first %d, more=%v, problems %v", len(page.Rows), page.Rows[0].Row, page.HasMore, page.Problems)
	}
	r := page.Rows[0]
	if r.Text != "user: qu\nassistant: éu\n" {
		t.Fatalf("rendered %q", r.Text)
	}
	var trained, cut string
	for _, tk := range r.Tokens {
		if tk.Text != r.Text[tk.Start:tk.End] {
			t.Fatalf("token text %q vs offsets %d:%d", tk.Text, tk.Start, tk.End)
		}
		if tk.Trainable && !tk.Cut {
			trained += tk.Text
		}
		if tk.Cut {
			cut += tk.Text
		}
	}
	// MaxLen 12 cuts inside "assistant: ": the answer is beyond it.
	if trained != "" || r.Trainable != 0 || !r.Truncated || !strings.HasSuffix(cut, "éu\n") {
		t.Fatalf("trained %q cut %q row %+v", trained, cut, r)
	}
	page0, _ := dataset.Preview(t.Context(), path, dataset.Options{}, l, dataset.PreviewOptions{PageSize: 10})
	if !page0.HasMore || page0.Rows[0].Trainable != 2 {
		t.Fatalf("page 0: more=%v trainable=%d", page0.HasMore, page0.Rows[0].Trainable)
	}
	// Without a labeler, messages only.
	plain, _ := dataset.Preview(t.Context(), path, dataset.Options{}, nil, dataset.PreviewOptions{PageSize: 3})
	if len(plain.Rows) != 3 || plain.Rows[0].Messages[1].Content != "éa" || plain.Rows[0].Tokens != nil {
		t.Fatalf("plain preview %+v", plain.Rows[0])
	}
}

func TestStatsOnSampleWithGemma3(t *testing.T) {
	dir := sharedtest.Path(t, "refsets", "visible", "tokenizers", "gemma3")
	path := sharedtest.Path(t, "data", "finetome-sample", "rows.jsonl")
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := chattemplate.NewRenderer(tok.Config())
	if err != nil {
		t.Fatal(err)
	}
	l := batch.NewLabeler(tok, batch.ChatTemplate{Renderer: r}, batch.TrainResponses, -1)
	st, err := dataset.ComputeStats(context.Background(), path, dataset.Options{}, l, dataset.StatsOptions{MaxLen: 256, Truncation: dataset.TruncateRight})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{2: 132, 3: 9, 4: 4, 5: 1, 6: 4}
	for _, b := range st.Turns {
		if want[b.Value] != b.Count {
			t.Fatalf("turns %+v, want %v", st.Turns, want)
		}
	}
	dropped := 0
	for _, n := range st.Dropped {
		dropped += n
	}
	binned := 0
	for _, b := range st.Lengths {
		binned += b.Count
	}
	if st.Rows != 150 || st.Kept+dropped != 150 || binned != 150 || st.OverMaxLen == 0 || st.Truncated == 0 ||
		st.TrainableTokens == 0 || st.TrainableTokens >= st.Tokens || st.MinLen > st.MedianLen || st.MedianLen > st.MaxLenSeen {
		t.Fatalf("stats %+v", st)
	}
	// Under "drop", every row over the maximum is dropped instead.
	st2, err := dataset.ComputeStats(context.Background(), path, dataset.Options{}, l, dataset.StatsOptions{MaxLen: 256, Truncation: dataset.DropLong})
	if err != nil {
		t.Fatal(err)
	}
	if st2.Dropped[dataset.DropTooLong] != st.OverMaxLen || st2.Truncated != 0 {
		t.Fatalf("drop policy: %+v", st2.Dropped)
	}
}
