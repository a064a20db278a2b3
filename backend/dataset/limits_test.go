package dataset

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Every reader refuses a row over the limit with an error naming the
// file, the row and both sizes, and with SkipBadRows goes on after it.
func TestRowLimitEveryReader(t *testing.T) {
	big := strings.Repeat("x", 3000)
	small := func(i int) string { return fmt.Sprintf("q%d", i) }
	parquetPath := filepath.Join(t.TempDir(), "big.parquet")
	rows := fineTomeRows(4)
	rows[1].Turns[1].Value = big
	if err := WriteShareGPTParquet(parquetPath, rows, ParquetWriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		line       int
	}{
		{"jsonl", writeFile(t, "big.jsonl", fmt.Sprintf(`{"text":%q}`+"\n"+`{"text":%q}`+"\n"+`{"text":%q}`+"\n", small(1), big, small(3))), 2},
		{"json", writeFile(t, "big.json", fmt.Sprintf(`[{"text":%q}, {"text":%q}, {"text":%q}]`, small(1), big, small(3))), 0},
		{"csv", writeFile(t, "big.csv", fmt.Sprintf("text\n%s\n\"%s\n%s\"\n%s\n", small(1), big, big, small(3))), 3},
		{"parquet", parquetPath, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{MaxRowBytes: 2000}
			_, err := Load(t.Context(), c.path, opts)
			e, ok := AsError(err)
			if !ok || !errors.Is(err, ErrRowTooLarge) || e.Row != 2 || e.Line != c.line || !strings.Contains(err.Error(), "row 2 is ") ||
				!strings.Contains(err.Error(), "B, over the 2000 B limit") || !strings.Contains(err.Error(), "--max-row-mb") {
				t.Fatalf("want row 2 (line %d) refused as too large, got %v", c.line, err)
			}
			opts.SkipBadRows = true
			l, err := Load(t.Context(), c.path, opts)
			if err != nil {
				t.Fatal(err)
			}
			if l.Skipped != 1 || len(l.Conversations) != l.Rows-1 || l.Problems[0].Row != 2 {
				t.Fatalf("skipped %d of %d rows (%d kept): %v", l.Skipped, l.Rows, len(l.Conversations), l.Problems)
			}
			last := l.Conversations[len(l.Conversations)-1]
			if c.name != "parquet" && (last.Text != small(3) || last.Row != 3) {
				t.Fatalf("the row after the big one: %+v", last)
			}
		})
	}
}

// A CSV record over the limit by more than the read buffer stops the csv
// reader partway; reading restarts after it with the right line numbers.
func TestCSVResyncAfterHugeRecord(t *testing.T) {
	huge := strings.Repeat("y", readBufferSize+5000)
	content := "text\nfirst\n\n\"" + huge + "\n" + huge + "\"\nafter\n\"two\nlines\"\n\xff\n"
	path := writeFile(t, "huge.csv", content)
	l, err := Load(t.Context(), path, Options{MaxRowBytes: 1000, SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.Rows != 5 || l.Skipped != 2 || len(l.Conversations) != 3 || l.Conversations[1].Text != "after" || l.Conversations[2].Text != "two\nlines" {
		t.Fatalf("rows %d skipped %d: %+v", l.Rows, l.Skipped, l.Conversations)
	}
	if p := l.Problems[0]; !errors.Is(p, ErrRowTooLarge) || p.Line != 4 || p.Row != 2 {
		t.Fatalf("big record reported as %v", p)
	}
	if p := l.Problems[1]; !errors.Is(p, ErrInvalidUTF8) || p.Line != 9 || p.Row != 5 || p.Field != "text" {
		t.Fatalf("line numbers after the skip: %v", p)
	}
}

func TestRowLimitSettings(t *testing.T) {
	path := writeFile(t, "a.jsonl", `{"text":"x"}`+"\n")
	for _, bad := range []int64{-1, MaxRowBytesLimit + 1} {
		if _, err := Load(t.Context(), path, Options{MaxRowBytes: bad}); err == nil || !strings.Contains(err.Error(), "maximum row size") {
			t.Errorf("MaxRowBytes %d accepted: %v", bad, err)
		}
	}
	if _, err := Load(t.Context(), path, Options{MaxRowBytes: MaxRowBytesLimit}); err != nil {
		t.Errorf("the hard limit itself refused: %v", err)
	}
	for n, want := range map[int64]string{16 << 20: "16 MB", 100<<20 + 1<<19: "100.5 MB", 2000: "2000 B"} {
		if s := formatMB(n); s != want {
			t.Errorf("formatMB(%d) = %q, want %q", n, s, want)
		}
	}
}

// Text that is not UTF-8 is refused wherever it is, naming the field and
// the byte, instead of reaching the tokenizer as U+FFFD or raw bytes.
func TestInvalidUTF8(t *testing.T) {
	bad := "caf\xe9" // Latin-1 é
	good := `{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"ok"}]}`
	badTurn := `{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"` + bad + `"}]}`
	parquetPath := filepath.Join(t.TempDir(), "bad.parquet")
	rows := fineTomeRows(3)
	rows[2].Turns[1].Value = bad
	if err := WriteShareGPTParquet(parquetPath, rows, ParquetWriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, want string
	}{
		{"jsonl value", writeFile(t, "a.jsonl", good+"\n  "+badTurn+"\n"), "a.jsonl: line 2, field conversations[1].value: invalid UTF-8: at byte 77 of the line (0xE9)"},
		{"jsonl key", writeFile(t, "k.jsonl", `{"text":"b"}`+"\n"+`{"text":"a","n`+"\xff"+`":1}`+"\n"), "line 2, field n\uFFFD: invalid UTF-8: at byte 15"},
		{"json", writeFile(t, "a.json", "["+good+", "+badTurn+"]"), "a.json: row 2, field conversations[1].value: invalid UTF-8: at byte 75 of the element"},
		{"csv", writeFile(t, "a.csv", "instruction,output\nq,a\nq,"+bad+"\n"), "a.csv: line 3 (row 2), field output: invalid UTF-8: at byte 4 of the cell"},
		{"parquet", parquetPath, "bad.parquet: row 3, field conversations[1].value: invalid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(t.Context(), c.path, Options{})
			if !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
			l, err := Load(t.Context(), c.path, Options{SkipBadRows: true})
			if err != nil || l.Skipped != 1 {
				t.Fatalf("with SkipBadRows: %v %+v", err, l)
			}
		})
	}
	if _, err := Load(t.Context(), writeFile(t, "h.csv", "te\xffxt\nq\n"), Options{}); !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "column 1") {
		t.Fatalf("header: %v", err)
	}
	// Text no reader vouched for (a parquet binary column) is checked
	// when it is standardized.
	std := newStandardizer("b.parquet", Mapping{Format: FormatText, TextColumn: "text"})
	if _, err := std.Standardize(Record{Row: 4, Fields: map[string]any{"text": bad}}); !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "row 4, field text") {
		t.Fatalf("standardizer: %v", err)
	}
}

// A key named twice is refused, at any depth, with the path of the key.
func TestDuplicateKeys(t *testing.T) {
	var many strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&many, `"k%d":%d,`, i, i)
	}
	cases := []struct {
		name, row, field string
	}{
		{"top level", `{"text":"a","text":"b"}`, "text"},
		{"in a turn", `{"conversations":[{"from":"human","value":"q"},{"from":"gpt","from":"human","value":"a"}]}`, "conversations[1].from"},
		{"escaped", `{"conversations":[{"from":"human","value":"q","\u0076alue":"x"}]}`, "conversations[0].value"},
		{"many keys", `{"text":"a",` + many.String() + `"k7":0}`, "k7"},
		{"deep", `{"text":"a","meta":{"a":[[{"b":1}],[{"c":1,"c":2}]]}}`, "meta.a[1][0].c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []struct{ name, content, where string }{
				{"d.jsonl", `{"text":"fine"}` + "\n" + c.row + "\n", "d.jsonl: line 2, field " + c.field},
				{"d.json", `[{"text":"fine"}, ` + c.row + `]`, "d.json: row 2, field " + c.field},
			} {
				_, err := Load(t.Context(), writeFile(t, f.name, f.content), Options{})
				if !errors.Is(err, ErrDuplicateKey) || !strings.Contains(err.Error(), f.where+": duplicate JSON key") {
					t.Fatalf("%s: got %v, want %q", f.name, err, f.where)
				}
			}
		})
	}
	// Equal values in different objects, and a key that is a prefix of
	// another, are not duplicates.
	ok := `{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a","values":"b"}]}` + "\n"
	if _, err := Load(t.Context(), writeFile(t, "ok.jsonl", ok), Options{}); err != nil {
		t.Fatal(err)
	}
}

// Errors quote user values capped, whatever their length.
func TestErrorsCapQuotedValues(t *testing.T) {
	role := strings.Repeat("robot", 2000)
	row := `{"conversations":[{"from":"human","value":"q"},{"from":"` + role + `","value":"a"}]}` + "\n"
	_, err := Load(t.Context(), writeFile(t, "r.jsonl", row), Options{Mapping: Mapping{Format: FormatShareGPT}})
	if !errors.Is(err, ErrUnknownRole) || len(err.Error()) > 1000 || !strings.Contains(err.Error(), "(10000 characters)") {
		t.Fatalf("unknown role error of %d bytes: %.300s", len(fmt.Sprint(err)), err)
	}
	col := strings.Repeat("c", 500)
	_, err = Load(t.Context(), writeFile(t, "c.jsonl", `{"text":"x"}`+"\n"), Options{Mapping: Mapping{Format: FormatText, TextColumn: col}})
	if !errors.Is(err, ErrMissingColumn) || len(err.Error()) > 600 {
		t.Fatalf("missing column error of %d bytes: %.300s", len(fmt.Sprint(err)), err)
	}
	if q := quoteCapped("short"); q != `"short"` {
		t.Errorf("quoteCapped(short) = %s", q)
	}
	if got := quoteList(strings.Split(strings.Repeat("a,", 30)+"a", ",")); !strings.HasSuffix(got, "and 11 more") {
		t.Errorf("quoteList of 31 values: %s", got)
	}
}
