package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A .txt file is one row of raw text, as continued pretraining corpora
// come; a folder of them is a dataset of documents, read in name order.
func TestTextFiles(t *testing.T) {
	doc := "Chapter 1\n\nIt was a dark and stormy night. ¿Qué? 空\n"
	l, err := Load(t.Context(), writeFile(t, "book.TXT", "\ufeff"+doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Detection.Mapping.Format != FormatText || l.Detection.Mapping.TextColumn != "text" || len(l.Conversations) != 1 ||
		!l.Conversations[0].IsText() || l.Conversations[0].Text != doc || l.Conversations[0].Row != 1 {
		t.Fatalf("one file: %+v", l)
	}

	dir := t.TempDir()
	for name, text := range map[string]string{
		"b.txt": "second document", "a.txt": "first document", "sub/c.txt": "third document",
		"LICENSE.txt": "MIT", "vocab.txt": "[PAD]\n[UNK]\n", "notes.md": "# not data",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err = Load(t.Context(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range l.Conversations {
		got = append(got, c.Text)
	}
	if strings.Join(got, "|") != "first document|second document|third document" || l.Conversations[2].Row != 3 {
		t.Fatalf("folder: %q", got)
	}

	// Mixed with another data file, as any folder mixing file types is
	// read: every data file, in name order, as one dataset.
	mixed := t.TempDir()
	os.WriteFile(filepath.Join(mixed, "a.jsonl"), []byte(`{"text":"from jsonl"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(mixed, "b.txt"), []byte("from txt"), 0o644)
	l, err = Load(t.Context(), mixed, Options{})
	if err != nil || len(l.Conversations) != 2 || l.Conversations[1].Text != "from txt" {
		t.Fatalf("mixed folder: %v %+v", err, l)
	}
}

// A .txt file over the row size limit is refused before it is read, with
// the setting that raises it; a bad file among others is a bad row.
func TestTextFileErrors(t *testing.T) {
	cases := []struct {
		name, content string
		opts          Options
		kind          error
		want          string
	}{
		{"over the row limit", strings.Repeat("word ", 40), Options{MaxRowBytes: 100}, ErrRowTooLarge, "big.txt: row 1: row too large: the file is 200 B, over the 100 B row size limit"},
		{"over the default limit", strings.Repeat("x", int(DefaultMaxRowBytes)+1), Options{}, ErrRowTooLarge, "over the 16 MB row size limit: a .txt file is read as one row; raise dataset.max_row_mb"},
		{"not UTF-8", "caf\xe9", Options{}, ErrInvalidUTF8, "at byte 4 of the file (0xE9)"},
		{"empty", " \n\n", Options{}, ErrMissingValue, "the file is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "big.txt", c.content)
			_, err := Load(t.Context(), path, c.opts)
			e, ok := AsError(err)
			if !ok || !errors.Is(err, c.kind) || e.File != path || e.Row != 1 || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want kind %v naming %s, mentioning %q", err, c.kind, path, c.want)
			}
			// Beside a good file, it is a bad row to skip and count.
			dir := filepath.Dir(path)
			os.WriteFile(filepath.Join(dir, "good.txt"), []byte("fine"), 0o644)
			l, err := Load(t.Context(), dir, Options{MaxRowBytes: c.opts.MaxRowBytes, SkipBadRows: true})
			if err != nil || len(l.Conversations) != 1 || l.Skipped != 1 || filepath.Base(l.Problems[0].File) != "big.txt" {
				t.Fatalf("skipping: %v %+v", err, l)
			}
		})
	}
	if ft, err := FileTypeOf("notes.txt"); err != nil || ft != FileText {
		t.Fatalf("FileTypeOf: %v %v", ft, err)
	}
}
