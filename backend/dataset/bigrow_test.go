package dataset_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// writeBigRow streams one ShareGPT row whose answer is about size bytes
// of words to path, without holding it: JSONL as one line, or JSON as a
// one-element array.
func writeBigRow(t *testing.T, path string, size int, array bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if array {
		w.WriteString("[")
	}
	w.WriteString(`{"conversations":[{"from":"human","value":"Tell me everything."},{"from":"gpt","value":"`)
	chunk := strings.Repeat("hello world ", 1<<12)
	for n := 0; n < size; n += len(chunk) {
		w.WriteString(chunk)
	}
	w.WriteString(`"}]}`)
	if array {
		w.WriteString("]")
	}
	w.WriteString("\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// allocated is the bytes allocated while fn runs.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A 100 MB row is refused by the default limit with an error naming it,
// and finding that out costs a read buffer, not the row: today's readers
// held the whole line (and 9 GB once tokenized).
func TestHugeRowRefusedWithoutHoldingIt(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file  string
		size  int
		array bool
		where string
	}{
		{"big.jsonl", 100 << 20, false, "big.jsonl: line 1: row too large: row 1 is 100."},
		{"big.json", 40 << 20, true, "big.json: row 1: row too large: row 1 is 40."},
	} {
		path := filepath.Join(dir, c.file)
		writeBigRow(t, path, c.size, c.array)
		var err error
		alloc := allocated(func() { _, err = dataset.Load(t.Context(), path, dataset.Options{}) })
		if !errors.Is(err, dataset.ErrRowTooLarge) || !strings.Contains(err.Error(), c.where) ||
			!strings.Contains(err.Error(), "MB, over the 16 MB limit (raise it with --max-row-mb") {
			t.Fatalf("%s: %v", c.file, err)
		}
		t.Logf("%s: %.1f MB allocated to refuse a %d MB row", c.file, float64(alloc)/(1<<20), c.size>>20)
		if alloc > 8<<20 {
			t.Errorf("%s: refusing the row allocated %.1f MB, want a few (the read buffer)", c.file, float64(alloc)/(1<<20))
		}
	}
}

// countingEncoder counts the bytes of text handed to the tokenizer.
type countingEncoder struct {
	tk    *tokenizer.Tokenizer
	bytes atomic.Int64
}

func (c *countingEncoder) EncodeOffsets(text string, addSpecial bool) ([]int, [][2]int) {
	c.bytes.Add(int64(len(text)))
	return c.tk.EncodeOffsets(text, addSpecial)
}

func (c *countingEncoder) MaxTokenBytes() (int, bool) { return c.tk.MaxTokenBytes() }

// With the limit raised, the same row is read, but under a 256-token
// maximum only what 256 tokens can use is tokenized: the row still
// counts as over the maximum, truncated or dropped as before.
func TestHugeRowTokenizedOnlyAsFarAsMaxLen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.jsonl")
	writeBigRow(t, path, 100<<20, false)
	tdir := t.TempDir()
	tokenizertest.ByteLevel(t, tdir)
	tk, err := tokenizer.Load(tdir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := chattemplate.NewRenderer(tk.Config())
	if err != nil {
		t.Fatal(err)
	}
	bound, _ := tk.MaxTokenBytes()
	opts := dataset.Options{MaxRowBytes: 200 << 20}
	for _, trunc := range []dataset.Truncation{dataset.TruncateRight, dataset.DropLong} {
		enc := &countingEncoder{tk: tk}
		l := batch.NewLabeler(enc, batch.ChatTemplate{Renderer: r}, batch.TrainResponses, tk.Config().EOSID)
		st, err := dataset.ComputeStats(t.Context(), path, opts, l, dataset.StatsOptions{MaxLen: 256, Truncation: trunc})
		if err != nil {
			t.Fatal(err)
		}
		limit := int64((256+dataset.CutMarginTokens)*bound + 200) // the cut answer, the question and the template's markers
		if got := enc.bytes.Load(); got > limit {
			t.Fatalf("%s: %d bytes tokenized, want at most %d", trunc, got, limit)
		}
		if st.OverMaxLen != 1 || st.TextCut != 1 || st.MaxLenSeen <= 256 {
			t.Fatalf("%s: the row is not reported over the maximum: %+v", trunc, st)
		}
		switch trunc {
		case dataset.TruncateRight:
			if st.Kept != 1 || st.Truncated != 1 || st.TrainableTokens == 0 {
				t.Fatalf("truncate: %+v", st)
			}
		case dataset.DropLong:
			if st.Kept != 0 || st.Dropped[dataset.DropTooLong] != 1 {
				t.Fatalf("drop: %+v", st)
			}
		}
		t.Logf("%s: %d bytes of a 100 MB row tokenized", trunc, enc.bytes.Load())
	}
}
