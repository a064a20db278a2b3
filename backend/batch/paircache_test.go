package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// Pairs and plain examples come back from the cache exactly as stored,
// rejected sides included.
func TestCacheRoundTripPairs(t *testing.T) {
	var cs []dataset.Conversation
	for i := range 40 {
		cs = append(cs, pairConv(i+1, strings.Repeat("y", i%7), strings.Repeat("n", (i*5)%23), "question "+strings.Repeat("?", i%11)))
	}
	l := NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1)
	tok, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: cs}, l, TokenizeOptions{MaxLen: 90})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Report.Truncated == 0 {
		t.Fatal("the fixture should truncate some rejected sides")
	}
	plain, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: convs(5)}, l, TokenizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]*Tokenized{"pairs": tok, "plain": plain} {
		c := Cache{Dir: t.TempDir()}
		if err := c.Store("k", want); err != nil {
			t.Fatal(err)
		}
		got, ok := c.Load("k")
		// The report travels as JSON, where an empty Dropped is absent.
		gotRep, _ := json.Marshal(got.Report)
		wantRep, _ := json.Marshal(want.Report)
		if !ok || !reflect.DeepEqual(got.Examples, want.Examples) || string(gotRep) != string(wantRep) {
			t.Fatalf("%s: loaded %v, differs from what was stored", name, ok)
		}
		// A cut file is a miss, not a short dataset.
		data, _ := os.ReadFile(c.path("k"))
		os.WriteFile(c.path("k"), data[:len(data)-9], 0o644)
		if _, ok := c.Load("k"); ok {
			t.Fatalf("%s: a truncated cache file loaded", name)
		}
	}
	for _, e := range tok.Examples {
		if e.Rejected == nil || e.Rejected.Row != e.Row {
			t.Fatalf("row %d lost its rejected side", e.Row)
		}
	}
}

// A cache file of the previous layout (magic WHETTOK1, no rejected
// lengths) is a miss, so it is rebuilt, never misread.
func TestCacheOldLayoutIsMissed(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	plain, err := Tokenize(context.Background(), &dataset.SliceSource{Conversations: convs(3)},
		NewLabeler(byteEncoder{}, gemmaLike{}, TrainResponses, -1), TokenizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Store("k", plain); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(c.path("k"))
	old := bytes.Replace(data, cacheMagic, []byte("WHETTOK1"), 1)
	os.WriteFile(c.path("k"), old, 0o644)
	if _, ok := c.Load("k"); ok {
		t.Fatal("a cache file of the old layout loaded")
	}
}

// SplitLong is part of the cache key: the same file tokenized with and
// without it never shares a cache entry.
func TestCacheKeyHasSplitLong(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.jsonl")
	writeShareGPT(t, path, convs(20))
	cfg := Config{Path: path, Encoder: byteEncoder{}, Template: gemmaLike{}, EOS: -1, TokenizerHash: "bytes",
		CacheDir: filepath.Join(dir, "cache"), Tokenize: TokenizeOptions{MaxLen: 100}}
	p1, err := Prepare(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tokenize.SplitLong = true
	p2, err := Prepare(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p2.CacheHit || p2.CacheKey == p1.CacheKey || p2.Report.Pieces == 0 || len(p2.Train) <= len(p1.Train) {
		t.Fatalf("split_long: hit %v, same key %v, %d pieces, %d vs %d examples", p2.CacheHit, p2.CacheKey == p1.CacheKey, p2.Report.Pieces, len(p2.Train), len(p1.Train))
	}
	p3, err := Prepare(t.Context(), cfg)
	if err != nil || !p3.CacheHit || !reflect.DeepEqual(p3.Train, p2.Train) || p3.Report.Pieces != p2.Report.Pieces {
		t.Fatalf("second split_long run: %v", err)
	}
}
