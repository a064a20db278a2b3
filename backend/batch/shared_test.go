package batch

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// The Gemma 3 tokenizer takes seconds to load: load it once per test binary.
var gemma3Once struct {
	sync.Once
	tok  *tokenizer.Tokenizer
	tmpl ChatTemplate
	err  error
}

func gemma3(t testing.TB) (*tokenizer.Tokenizer, ChatTemplate) {
	t.Helper()
	dir := sharedtest.Path(t, "refsets", "visible", "tokenizers", "gemma3")
	g := &gemma3Once
	g.Do(func() {
		if g.tok, g.err = tokenizer.Load(dir); g.err != nil {
			return
		}
		var r *chattemplate.Renderer
		r, g.err = chattemplate.NewRenderer(g.tok.Config())
		g.tmpl = ChatTemplate{Renderer: r}
	})
	if g.err != nil {
		t.Fatal(g.err)
	}
	return g.tok, g.tmpl
}

// Every sample file, rendered with Gemma 3's real template and tokenizer:
// trainable tokens lie inside assistant turns, every assistant turn is
// trained on, and what is trained is exactly the answers plus their
// end-of-turn markers.
func TestSharedSampleMasksGemma3(t *testing.T) {
	tok, tmpl := gemma3(t)
	l := NewLabeler(tok, tmpl, TrainResponses, -1)
	for _, f := range []string{"train-00000-of-00001.parquet", "train-item.parquet", "rows.jsonl", "messages.jsonl", "alpaca.json"} {
		t.Run(f, func(t *testing.T) {
			ld, err := dataset.Load(t.Context(), sharedtest.Path(t, "data", "finetome-sample", f), dataset.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range ld.Conversations {
				lab, err := l.Label(c)
				if err != nil {
					t.Fatalf("row %d: %v", c.Row, err)
				}
				if !strings.HasPrefix(lab.Text, "<bos>") {
					t.Fatalf("row %d: rendered text does not start with <bos>", c.Row)
				}
				checkMask(t, lab, c.Row)
				var answers []string
				for _, m := range c.Messages {
					if m.Role == dataset.RoleAssistant {
						answers = append(answers, m.Content)
					}
				}
				if len(lab.Spans) != len(answers) {
					t.Fatalf("row %d: %d spans for %d assistant turns", c.Row, len(lab.Spans), len(answers))
				}
				for k, s := range lab.Spans {
					var got strings.Builder
					for i, tr := range lab.Trainable {
						if tr && lab.Offsets[i][0] >= s[0] && lab.Offsets[i][0] < s[1] {
							got.WriteString(lab.Text[lab.Offsets[i][0]:lab.Offsets[i][1]])
						}
					}
					if want := answers[k] + "<end_of_turn>"; got.String() != want {
						t.Fatalf("row %d turn %d: trained text %q..., want the answer and <end_of_turn>", c.Row, k, trunc(got.String()))
					}
				}
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

// The whole pipeline on the sample parquet: every row is kept under a
// generous maximum, and packed batches are well-formed.
func TestSharedPrepareAndPack(t *testing.T) {
	tok, tmpl := gemma3(t)
	path := sharedtest.Path(t, "data", "finetome-sample", "train-00000-of-00001.parquet")
	p, err := Prepare(context.Background(), Config{Path: path, Encoder: tok, Template: tmpl, EOS: -1,
		Tokenize: TokenizeOptions{MaxLen: 2048}, Split: SplitOptions{Fraction: 0.1, Seed: 42}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Train)+len(p.Validation) != 150 || len(p.Validation) != 15 || p.Report.Truncated != 0 {
		t.Fatalf("train %d val %d report %+v", len(p.Train), len(p.Validation), p.Report)
	}
	o := BatchOptions{BatchSize: 4, MaxLen: 2048, Pack: true, Seed: 42, PadID: int32(tok.Config().PadID)}
	bs, err := Batches(p.Train, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkBatches(t, bs, p.Train, o)
	// Under a short maximum some answers are cut and some rows dropped.
	p2, err := Prepare(context.Background(), Config{Path: path, Encoder: tok, Template: tmpl, EOS: -1,
		Tokenize: TokenizeOptions{MaxLen: 128, Truncation: dataset.TruncateRight}})
	if err != nil {
		t.Fatal(err)
	}
	if p2.Report.Truncated == 0 {
		t.Fatalf("max length 128 truncated nothing: %+v", p2.Report)
	}
	t.Logf("max 128: %d kept, %d truncated, dropped %v", p2.Report.Examples, p2.Report.Truncated, p2.Report.Dropped)
}
