package batch

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// countingTokenizer counts the bytes handed to the tokenizer, so a test
// can tell that a text was cut before tokenizing.
type countingTokenizer struct {
	*tokenizer.Tokenizer
	bytes atomic.Int64
}

func (c *countingTokenizer) EncodeOffsets(text string, addSpecial bool) ([]int, [][2]int) {
	c.bytes.Add(int64(len(text)))
	return c.Tokenizer.EncodeOffsets(text, addSpecial)
}

// longTexts are texts far over a maximum length, of the shapes that could
// make a cut show: plain words, a run with no space (one pre-tokenized
// piece, merged as a whole), runs of spaces and newlines (merged runs),
// and mixed scripts with turn markers.
func longTexts(n int) map[string]string {
	r := rand.New(rand.NewPCG(7, 8))
	parts := []string{"hello", " world", "  ", "\n", " ", "é", "空", "👩‍💻", "1234", "<end_of_turn>", "<|im_end|>", "ll", "o"}
	var mixed strings.Builder
	for mixed.Len() < n {
		mixed.WriteString(parts[r.IntN(len(parts))])
	}
	return map[string]string{
		"words":    strings.Repeat("hello world ", n/12+1),
		"no space": strings.Repeat("helloworld", n/10+1),
		"spaces":   "a" + strings.Repeat(" ", n) + "b",
		"indented": " \n  " + strings.Repeat("hello   \n\n   world", n/20+1),
		"newlines": strings.Repeat("hello\n\n", n/7+1),
		"mixed":    mixed.String(),
	}
}

// cutTokenizers are the byte-level BPE and SentencePiece-style test
// tokenizers, then the reference ones, each loaded inside its subtest so
// that a missing ../shared skips only those; with the maximum lengths to
// try (fewer for real vocabularies, whose long tokens make long texts).
var cutTokenizers = []struct {
	name    string
	load    func(t *testing.T) string // a model folder
	maxLens []int
}{
	{"byte-level", fixtureDir(tokenizertest.ByteLevel), []int{1, 17, 100}},
	{"sentencepiece", fixtureDir(tokenizertest.SentencePiece), []int{1, 17, 100}},
	{"gemma3", sharedDir("gemma3"), []int{1, 17}},
	{"llama3", sharedDir("llama3"), []int{1, 17}},
	{"qwen3", sharedDir("qwen3"), []int{1, 17}},
}

func fixtureDir(write func(testing.TB, string)) func(t *testing.T) string {
	return func(t *testing.T) string {
		dir := t.TempDir()
		write(t, dir)
		return dir
	}
}

func sharedDir(name string) func(t *testing.T) string {
	return func(t *testing.T) string {
		if testing.Short() {
			t.Skip("reference tokenizers skipped in -short mode")
		}
		return sharedtest.Path(t, "refsets", "visible", "tokenizers", name)
	}
}

// A row far over the maximum gives exactly the first maxLen tokens and
// labels it would give uncut, is dropped under "drop" as before, and is
// cut before tokenizing.
func TestCutKeepsFirstMaxLenTokens(t *testing.T) {
	for _, tc := range cutTokenizers {
		t.Run(tc.name, func(t *testing.T) {
			tk, err := tokenizer.Load(tc.load(t))
			if err != nil {
				t.Fatal(err)
			}
			bound, ok := tk.MaxTokenBytes()
			if !ok {
				t.Fatalf("no bound")
			}
			for _, maxLen := range tc.maxLens {
				budget := (maxLen + dataset.CutMarginTokens) * bound
				for kind, text := range longTexts(2 * budget) {
					rows := []dataset.Conversation{
						{Row: 1, Messages: []dataset.Message{{Role: dataset.RoleUser, Content: "Question?"}, {Role: dataset.RoleAssistant, Content: text}}},
						{Row: 2, Messages: []dataset.Message{{Role: dataset.RoleUser, Content: text}, {Role: dataset.RoleAssistant, Content: "Short answer."}, {Role: dataset.RoleUser, Content: text}, {Role: dataset.RoleAssistant, Content: text}}},
						{Row: 3, Text: text},
					}
					for _, c := range rows {
						checkCut(t, kind, tk, c, maxLen)
					}
				}
			}
		})
	}
}

func checkCut(t *testing.T, name string, tk *tokenizer.Tokenizer, c dataset.Conversation, maxLen int) {
	t.Helper()
	model, terr := ForTokenizer(tk, TrainResponses)
	if terr != nil {
		t.Fatalf("%s: %v", name, terr)
	}
	full, err := model.Label(c) // Label itself never cuts
	if err != nil {
		t.Fatalf("%s row %d: %v", name, c.Row, err)
	}
	if len(full.IDs) <= maxLen {
		t.Fatalf("%s row %d: only %d tokens, not over %d", name, c.Row, len(full.IDs), maxLen)
	}
	enc := &countingTokenizer{Tokenizer: tk}
	cutting := NewLabeler(enc, model.tmpl, TrainResponses, model.eos)
	for _, policy := range []dataset.Truncation{dataset.TruncateRight, dataset.DropLong} {
		enc.bytes.Store(0)
		src := &dataset.SliceSource{Conversations: []dataset.Conversation{c}}
		tok, err := Tokenize(t.Context(), src, cutting, TokenizeOptions{MaxLen: maxLen, Truncation: policy})
		if n := enc.bytes.Load(); n >= int64(len(full.Text)) {
			t.Fatalf("%s row %d: %d bytes tokenized of a %d-byte text: not cut", name, c.Row, n, len(full.Text))
		}
		keep, _, drop := dataset.Fit(full.Trainable, maxLen, policy)
		if drop != "" {
			// Uncut, the row is dropped: cut, it must be, for the same reason.
			if !errors.Is(err, ErrAllMasked) || !strings.Contains(err.Error(), "1 "+drop) {
				t.Fatalf("%s row %d, max %d, %s: uncut dropped as %q, cut: %v", name, c.Row, maxLen, policy, drop, err)
			}
			continue
		}
		if err != nil || len(tok.Examples) != 1 {
			t.Fatalf("%s row %d, max %d, %s: uncut kept, cut: %v", name, c.Row, maxLen, policy, err)
		}
		ex := tok.Examples[0]
		want := make([]int32, keep)
		for i, id := range full.IDs[:keep] {
			want[i] = int32(id)
		}
		wantTr := append([]bool{false}, full.Trainable[1:keep]...)
		if !slices.Equal(ex.Tokens, want) || !slices.Equal(ex.Trainable, wantTr) {
			at := 0
			for at < min(len(ex.Tokens), keep) && ex.Tokens[at] == want[at] && ex.Trainable[at] == wantTr[at] {
				at++
			}
			t.Fatalf("%s row %d, max %d: cut and uncut differ at token %d of %d", name, c.Row, maxLen, at, keep)
		}
	}
}
