package batch

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
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
// end-of-turn markers and the newline after them.
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
					if want := answers[k] + "<end_of_turn>\n"; got.String() != want {
						t.Fatalf("row %d turn %d: trained text %q..., want the answer, <end_of_turn> and a newline", c.Row, k, trunc(got.String()))
					}
				}
			}
		})
	}
}

// unslothLabels is what Unsloth's train_on_responses_only trains, as
// unsloth_zoo computes it on token ids: after each occurrence of the
// response part, every token up to the next instruction part, or to the
// end of the sequence.
func unslothLabels(ids, instruction, response []int) []bool {
	at := func(j int, part []int) bool {
		return j+len(part) <= len(ids) && slices.Equal(ids[j:j+len(part)], part)
	}
	out := make([]bool, len(ids))
	for j := 0; j < len(ids); j++ {
		if !at(j, response) {
			continue
		}
		k := j + len(response)
		end := k
		for end < len(ids) && !at(end, instruction) {
			end++
		}
		for i := k; i < end; i++ {
			out[i] = true
		}
		j = end - 1
	}
	return out
}

// Responses-only labels on Gemma 3 are exactly Unsloth's, token for token,
// on every row of every sample file, with the markers Unsloth's Gemma 3
// notebook passes (runconfig's gemma3 preset holds them).
func TestUnslothResponsesOnlyParityGemma3(t *testing.T) {
	tok, tmpl := gemma3(t)
	preset := runconfig.Presets()["gemma3"]
	q, _ := tok.EncodeOffsets(preset.InstructionMarker, false)
	a, _ := tok.EncodeOffsets(preset.ResponseMarker, false)
	l := NewLabeler(tok, tmpl, TrainResponses, -1)
	for _, f := range []string{"train-00000-of-00001.parquet", "train-item.parquet", "rows.jsonl", "messages.jsonl", "alpaca.json"} {
		ld, err := dataset.Load(t.Context(), sharedtest.Path(t, "data", "finetome-sample", f), dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		trained, tokens := 0, 0
		for _, c := range ld.Conversations {
			lab, err := l.Label(c)
			if err != nil {
				t.Fatalf("%s row %d: %v", f, c.Row, err)
			}
			want := unslothLabels(lab.IDs, q, a)
			if !slices.Equal(lab.Trainable, want) {
				i := 0
				for lab.Trainable[i] == want[i] {
					i++
				}
				t.Fatalf("%s row %d: token %d %q trained=%v, Unsloth: %v", f, c.Row, i, lab.Text[lab.Offsets[i][0]:lab.Offsets[i][1]], lab.Trainable[i], want[i])
			}
			trained += countTrue(lab.Trainable)
			tokens += len(lab.IDs)
		}
		t.Logf("%s: %d rows, %d of %d tokens trained", f, len(ld.Conversations), trained, tokens)
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
