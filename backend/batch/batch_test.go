package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// checkMask verifies the core promise: a trainable token starts inside an
// assistant span, and every assistant span has a trainable token.
func checkMask(t *testing.T, lab dataset.Labeled, row int) {
	t.Helper()
	for i, tr := range lab.Trainable {
		in := false
		for _, s := range lab.Spans {
			if lab.Offsets[i][0] >= s[0] && lab.Offsets[i][0] < s[1] {
				in = true
			}
		}
		if tr != in {
			t.Fatalf("row %d token %d %q: trainable=%v but inside an assistant span=%v", row, i, lab.Text[lab.Offsets[i][0]:lab.Offsets[i][1]], tr, in)
		}
	}
	for _, s := range lab.Spans {
		has := false
		for i, tr := range lab.Trainable {
			if tr && lab.Offsets[i][0] >= s[0] && lab.Offsets[i][0] < s[1] {
				has = true
			}
		}
		if !has {
			t.Fatalf("row %d: assistant span %v %q has no trainable token", row, s, lab.Text[s[0]:s[1]])
		}
	}
}

func TestLabelerModes(t *testing.T) {
	c := conv(1, "hi", "hello", "again", "bye")
	lab, err := NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1).Label(c)
	if err != nil {
		t.Fatal(err)
	}
	checkMask(t, lab, 1)
	var trained strings.Builder
	for i, tr := range lab.Trainable {
		if tr {
			trained.WriteString(lab.Text[lab.Offsets[i][0]:lab.Offsets[i][1]])
		}
	}
	if got := trained.String(); got != "hello<end_of_turn>bye<end_of_turn>" {
		t.Fatalf("trained text %q", got)
	}
	all, _ := NewLabeler(byteEncoder{}, gemmaLike{}, TrainAll, -1).Label(c)
	if countTrue(all.Trainable) != len(all.IDs)-1 || all.Trainable[0] {
		t.Fatal("train-on-all must train every token but the first")
	}
	text, err := NewLabeler(byteEncoder{}, nil, TrainResponses, 2).Label(dataset.Conversation{Row: 1, Text: "abc"})
	if err != nil || !reflect.DeepEqual(text.IDs, []int{1, 'a' + 3, 'b' + 3, 'c' + 3, 2}) || countTrue(text.Trainable) != 4 {
		t.Fatalf("raw text: %+v %v", text, err)
	}
	if _, err := NewLabeler(byteEncoder{}, nil, TrainResponses, -1).Label(c); err == nil {
		t.Fatal("a chat without a template was labeled")
	}
}

func TestTokenizeDeterministicAcrossWorkers(t *testing.T) {
	data := convs(300)
	var first *Tokenized
	for _, w := range []int{1, 2, 7} {
		var progress []int
		tok, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: data},
			NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1),
			TokenizeOptions{Workers: w, ProgressEvery: 100, Progress: func(n int) { progress = append(progress, n) }})
		if !reflect.DeepEqual(progress, []int{100, 200, 300}) {
			t.Fatalf("progress calls %v", progress)
		}
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = tok
			continue
		}
		if !reflect.DeepEqual(first.Examples, tok.Examples) {
			t.Fatalf("workers=%d changed the result", w)
		}
	}
	for i, e := range first.Examples {
		if int(e.Row) != i+1 || e.Trainable[0] {
			t.Fatalf("example %d: row %d, first token trainable=%v", i, e.Row, e.Trainable[0])
		}
	}
	if first.Report.Examples != 300 || first.Report.TrainableTokens == 0 {
		t.Fatalf("report %+v", first.Report)
	}
}

func TestTruncationPolicies(t *testing.T) {
	long := conv(1, "q", strings.Repeat("a", 200))
	promptOnly := conv(2, strings.Repeat("q", 200), "a")
	short := conv(3, "q", "a")
	l := NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1)
	src := func() *dataset.SliceSource {
		return &dataset.SliceSource{Conversations: []dataset.Conversation{long, promptOnly, short}}
	}
	tok, err := Tokenize(context.Background(), src(), l, TokenizeOptions{MaxLen: 100, Truncation: dataset.TruncateRight})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Examples) != 2 || tok.Examples[0].Len() != 100 || tok.Report.Truncated != 1 || tok.Report.Dropped[dataset.DropCutAway] != 1 {
		t.Fatalf("truncate: %d examples, report %+v", len(tok.Examples), tok.Report)
	}
	tok, err = Tokenize(context.Background(), src(), l, TokenizeOptions{MaxLen: 100, Truncation: dataset.DropLong})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Examples) != 1 || tok.Examples[0].Row != 3 || tok.Report.Dropped[dataset.DropTooLong] != 2 {
		t.Fatalf("drop: %+v", tok.Report)
	}
}

func TestAllMaskedGuard(t *testing.T) {
	// Every turn mapped to "user": the classic mistake.
	bad := []dataset.Conversation{
		{Row: 1, Messages: []dataset.Message{{Role: dataset.RoleUser, Content: "q"}, {Role: dataset.RoleUser, Content: "a"}}},
		{Row: 2, Messages: []dataset.Message{{Role: dataset.RoleUser, Content: "q2"}}},
	}
	_, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: bad},
		NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1), TokenizeOptions{})
	if !errors.Is(err, ErrAllMasked) || !strings.Contains(err.Error(), "loss is 0") || !strings.Contains(err.Error(), "role mapping") {
		t.Fatalf("guard: %v", err)
	}
	// A batch built by hand with nothing to learn is refused too.
	ex := []Example{{Row: 1, Tokens: []int32{5, 6, 7}, Trainable: []bool{false, false, false}}}
	if _, err := Batches(ex, BatchOptions{MaxLen: 8, BatchSize: 1}, 0); !errors.Is(err, ErrAllMasked) {
		t.Fatalf("batch guard: %v", err)
	}
}

func TestSplit(t *testing.T) {
	tok, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: convs(200)},
		NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1), TokenizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	train, val, err := Split(tok.Examples, SplitOptions{Fraction: 0.1, Seed: 7})
	if err != nil || len(val) != 20 || len(train) != 180 {
		t.Fatalf("fraction split: %d/%d %v", len(train), len(val), err)
	}
	seen := map[int32]bool{}
	for _, e := range append(append([]Example{}, train...), val...) {
		if seen[e.Row] {
			t.Fatalf("row %d in both sets", e.Row)
		}
		seen[e.Row] = true
	}
	train2, val2, _ := Split(tok.Examples, SplitOptions{Fraction: 0.1, Seed: 7})
	if !reflect.DeepEqual(val, val2) || !reflect.DeepEqual(train, train2) {
		t.Fatal("same seed, different split")
	}
	_, val3, _ := Split(tok.Examples, SplitOptions{Count: 20, Seed: 8})
	if reflect.DeepEqual(val, val3) {
		t.Fatal("different seed, same validation rows")
	}
	if _, _, err := Split(tok.Examples, SplitOptions{Count: 200}); err == nil {
		t.Fatal("a split leaving no training rows was accepted")
	}
}

// checkBatches verifies layout invariants and that each example appears
// exactly once, intact, with its labels.
func checkBatches(t *testing.T, batches []Batch, examples []Example, o BatchOptions) {
	t.Helper()
	byRow := map[int32]Example{}
	for _, e := range examples {
		byRow[e.Row] = e
	}
	seen := map[int32]int{}
	for bi, b := range batches {
		if b.Size != o.BatchSize || len(b.Tokens) != b.Size*b.Len || len(b.Labels) != len(b.Tokens) {
			t.Fatalf("batch %d: shape %dx%d, %d tokens", bi, b.Size, b.Len, len(b.Tokens))
		}
		for r := 0; r < b.Size; r++ {
			row := func(a []int32) []int32 { return a[r*b.Len : (r+1)*b.Len] }
			toks, labs, pos, seg := row(b.Tokens), row(b.Labels), row(b.Positions), row(b.Segments)
			t0 := 0
			for si, exRow := range b.Rows[r] {
				e := byRow[exRow]
				seen[exRow]++
				for j := 0; j < e.Len(); j++ {
					at := t0 + j
					want := IgnoreLabel
					if e.Trainable[j] && j > 0 {
						want = e.Tokens[j]
					}
					if toks[at] != e.Tokens[j] || labs[at] != want || pos[at] != int32(j) || seg[at] != int32(si+1) {
						t.Fatalf("batch %d seq %d pos %d (row %d tok %d): tok %d lab %d pos %d seg %d", bi, r, at, exRow, j, toks[at], labs[at], pos[at], seg[at])
					}
				}
				t0 += e.Len()
			}
			for at := t0; at < b.Len; at++ {
				if seg[at] != 0 || labs[at] != IgnoreLabel || toks[at] != o.PadID || pos[at] != 0 {
					t.Fatalf("batch %d seq %d: padding at %d is not padding", bi, r, at)
				}
			}
		}
	}
	for _, e := range examples {
		if seen[e.Row] != 1 {
			t.Fatalf("row %d appears %d times in the epoch", e.Row, seen[e.Row])
		}
	}
}

func TestBatchesPackedAndPadded(t *testing.T) {
	tok, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: convs(250)},
		NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1), TokenizeOptions{MaxLen: 256})
	if err != nil {
		t.Fatal(err)
	}
	packed := BatchOptions{BatchSize: 4, MaxLen: 256, Pack: true, PadID: 0, Seed: 1}
	pb, err := Batches(tok.Examples, packed, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkBatches(t, pb, tok.Examples, packed)
	multi := 0
	for _, b := range pb {
		for _, rows := range b.Rows {
			if len(rows) > 1 {
				multi++
			}
		}
	}
	if multi == 0 {
		t.Fatal("packing never put two conversations in one sequence")
	}
	padded := BatchOptions{BatchSize: 4, MaxLen: 256, PadID: 0, Seed: 1}
	qb, err := Batches(tok.Examples, padded, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkBatches(t, qb, tok.Examples, padded)
	if len(pb) >= len(qb) {
		t.Fatalf("packing made %d batches, padding %d: packing should need fewer", len(pb), len(qb))
	}
	// Bucketing: less padding than random batches.
	noBucket := padded
	noBucket.BucketWindow = 1
	nb, _ := Batches(tok.Examples, noBucket, 0)
	if cells(qb) >= cells(nb) {
		t.Fatalf("bucketed batches use %d cells, unbucketed %d", cells(qb), cells(nb))
	}
	pe, _ := NewEpoch(tok.Examples, packed, 0)
	qe, _ := NewEpoch(tok.Examples, padded, 0)
	if pe.Fill() <= qe.Fill() || pe.Fill() < 0.8 || pe.Len() != len(pb) {
		t.Fatalf("fill: packed %.2f, padded %.2f", pe.Fill(), qe.Fill())
	}
	t.Logf("fill: packed %.3f, bucketed %.3f", pe.Fill(), qe.Fill())
	// Determinism: same seed and epoch, same batches; a new epoch reshuffles.
	again, _ := Batches(tok.Examples, packed, 0)
	if !reflect.DeepEqual(pb, again) {
		t.Fatal("same seed and epoch gave different batches")
	}
	next, _ := Batches(tok.Examples, packed, 1)
	if reflect.DeepEqual(pb[0].Rows, next[0].Rows) {
		t.Fatal("epoch 1 has the same first batch as epoch 0")
	}
}

func cells(bs []Batch) int {
	n := 0
	for _, b := range bs {
		n += b.Size * b.Len
	}
	return n
}

func TestCacheRoundTripAndPrepare(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for _, c := range convs(120) {
		b.WriteString(`{"conversations":[`)
		for i, m := range c.Messages {
			if i > 0 {
				b.WriteString(",")
			}
			from := map[string]string{dataset.RoleUser: "human", dataset.RoleAssistant: "gpt"}[m.Role]
			b.WriteString(`{"from":"` + from + `","value":"` + m.Content + `"}`)
		}
		b.WriteString("]}\n")
	}
	path := filepath.Join(dir, "d.jsonl")
	os.WriteFile(path, []byte(b.String()), 0o644)
	cfg := Config{Path: path, Encoder: byteEncoder{}, Template: gemmaLike{}, EOS: -1, TokenizerHash: "bytes", TemplateSource: "gemma-like",
		CacheDir: filepath.Join(dir, "cache"), Tokenize: TokenizeOptions{MaxLen: 128}, Split: SplitOptions{Count: 10, Seed: 3}}
	p1, err := Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p1.CacheHit || len(p1.Validation) != 10 || len(p1.Train) != 110 || p1.Detection.Mapping.Format != dataset.FormatShareGPT {
		t.Fatalf("first run: hit=%v %d/%d %+v", p1.CacheHit, len(p1.Train), len(p1.Validation), p1.Detection)
	}
	p2, err := Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !p2.CacheHit || !reflect.DeepEqual(p1.Train, p2.Train) || !reflect.DeepEqual(p1.Validation, p2.Validation) ||
		!reflect.DeepEqual(p1.Detection, p2.Detection) || p1.Report.TrainableTokens != p2.Report.TrainableTokens {
		t.Fatalf("second run: hit=%v, or different data", p2.CacheHit)
	}
	// A different setting is a different key.
	cfg2 := cfg
	cfg2.Tokenize.MaxLen = 100
	if p3, err := Prepare(context.Background(), cfg2); err != nil || p3.CacheHit || p3.CacheKey == p1.CacheKey {
		t.Fatalf("changed max length hit the old cache: %v", err)
	}
	// A damaged cache file is a miss, then rewritten.
	cachePath := Cache{Dir: cfg.CacheDir}.path(p1.CacheKey)
	data, _ := os.ReadFile(cachePath)
	data[len(data)/2] ^= 0xff
	os.WriteFile(cachePath, data, 0o644)
	if p4, err := Prepare(context.Background(), cfg); err != nil || p4.CacheHit || !reflect.DeepEqual(p4.Train, p1.Train) {
		t.Fatalf("damaged cache: hit=%v err=%v", p4 != nil && p4.CacheHit, err)
	}
	if _, ok := (Cache{Dir: cfg.CacheDir}).Load(p1.CacheKey); !ok {
		t.Fatal("cache not rewritten after damage")
	}
	// The same bytes in a hub-style folder are the same tokenization.
	folder := filepath.Join(dir, "snapshot", "data")
	os.MkdirAll(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "train-00000-of-00001.jsonl"), []byte(b.String()), 0o644)
	cfg5 := cfg
	cfg5.Path = filepath.Dir(folder)
	if p5, err := Prepare(context.Background(), cfg5); err != nil || !p5.CacheHit || !reflect.DeepEqual(p5.Train, p1.Train) {
		t.Fatalf("folder copy: %v", err)
	}
}

// writeShareGPT writes conversations as FineTome-style JSONL rows.
func writeShareGPT(t *testing.T, path string, cs []dataset.Conversation) {
	t.Helper()
	var b strings.Builder
	for _, c := range cs {
		turns := make([]map[string]string, len(c.Messages))
		for i, m := range c.Messages {
			turns[i] = map[string]string{"from": map[string]string{dataset.RoleUser: "human", dataset.RoleAssistant: "gpt"}[m.Role], "value": m.Content}
		}
		line, _ := json.Marshal(map[string]any{"conversations": turns})
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// With ValPath, the validation set is that file, read with the same
// options and tokenized the same way (cached too), and the training file
// is not split: every one of its rows is trained on.
func TestPrepareWithValPath(t *testing.T) {
	dir := t.TempDir()
	train, val := filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "val.jsonl")
	writeShareGPT(t, train, convs(50))
	var vc []dataset.Conversation
	for i := range 7 {
		vc = append(vc, conv(i+1, fmt.Sprintf("held-out question %d", i), fmt.Sprintf("held-out answer %d", i)))
	}
	writeShareGPT(t, val, vc)
	cfg := Config{Path: train, ValPath: val, Encoder: byteEncoder{}, Template: gemmaLike{}, EOS: -1, TokenizerHash: "bytes",
		CacheDir: filepath.Join(dir, "cache"), Tokenize: TokenizeOptions{MaxLen: 256}, Split: SplitOptions{Fraction: 0.5, Seed: 3}}
	p, err := Prepare(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Train) != 50 || len(p.Validation) != 7 || p.Val == nil || p.Val.Path != val || p.Val.Report.Rows != 7 || p.Report.Rows != 50 {
		t.Fatalf("train %d, validation %d, val source %+v", len(p.Train), len(p.Validation), p.Val)
	}
	lab := NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1)
	for i, c := range vc {
		l, err := lab.Label(c)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int32, len(l.IDs))
		for j, id := range l.IDs {
			want[j] = int32(id)
		}
		if ex := p.Validation[i]; ex.Row != int32(i+1) || !slices.Equal(ex.Tokens, want) {
			t.Fatalf("validation example %d is not row %d of the validation file tokenized", i, i+1)
		}
	}
	again, err := Prepare(t.Context(), cfg)
	if err != nil || !again.CacheHit || !again.Val.CacheHit || again.Val.CacheKey == again.CacheKey ||
		!reflect.DeepEqual(again.Validation, p.Validation) || !reflect.DeepEqual(again.Train, p.Train) {
		t.Fatalf("second run: %v, hits %v/%v", err, again.CacheHit, again.Val != nil && again.Val.CacheHit)
	}
	cfg.ValPath = filepath.Join(dir, "missing.jsonl")
	if _, err := Prepare(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "validation set") || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Fatalf("missing validation file: %v", err)
	}
}

// ChatTemplate trains, with each assistant turn, the whitespace after its
// end-of-turn marker up to the next turn, as Unsloth does; a template that
// puts nothing there (Llama 3) trains the turn as the template spans it.
func TestChatTemplateTrainsTheTurnSeparator(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{{ bos_token }}{% for m in messages %}<start_of_turn>{% if m.role == 'assistant' %}model{% else %}{{ m.role }}{% endif %}\n" +
			"{{ m.content }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}",
			"hello<end_of_turn>\n|bye<end_of_turn>\n"},
		{"{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n{{ m.content }}<|eot_id|>{% endfor %}" +
			"{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}",
			"hello<|eot_id|>|bye<|eot_id|>"},
	} {
		r, err := chattemplate.NewRendererFromTemplate(tc.src, map[string]any{"bos_token": "<bos>"})
		if err != nil {
			t.Fatal(err)
		}
		c := conv(1, "hi", "hello", "again", "bye")
		text, spans, err := ChatTemplate{Renderer: r}.RenderWithSpans(c.Messages)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range spans {
			got = append(got, text[s.Start:s.End])
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("trained spans %q of %q, want %q", got, text, tc.want)
		}
	}
}
