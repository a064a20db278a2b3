package tokenizer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// variant writes a tokenizertest folder and rewrites parts of its
// tokenizer.json, to cover pipeline pieces the two base folders do not use.
func variant(t testing.TB, base func(testing.TB, string), edit func(map[string]any)) *tokenizer.Tokenizer {
	t.Helper()
	dir := t.TempDir()
	base(t, dir)
	path := filepath.Join(dir, "tokenizer.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func metaspace(split bool) func(map[string]any) {
	return func(m map[string]any) {
		m["normalizer"] = nil
		m["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": split}
		m["decoder"] = map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": split},
			map[string]any{"type": "ByteFallback"}, map[string]any{"type": "Fuse"},
		}}
	}
}

func TestMetaspacePreTokenizer(t *testing.T) {
	for _, split := range []bool{false, true} {
		tk := variant(t, tokenizertest.SentencePiece, metaspace(split))
		id := func(s string) int { i, _ := tk.TokenID(s); return i }
		got := tk.Encode("hello world", true)
		want := []int{2, id("▁"), id("hello"), id("▁world")}
		if !slices.Equal(got, want) {
			t.Fatalf("split=%v: Encode = %v, want %v", split, got, want)
		}
		// "first": only the start of the text gets the prefix, not the text
		// after an added token.
		got = tk.Encode("<start_of_turn>hello", false)
		if !slices.Equal(got, []int{id("<start_of_turn>"), id("hello")}) {
			t.Fatalf("split=%v: after added token = %v", split, got)
		}
		// As in HF, a leading space is lost: it becomes the prefix that the
		// decoder removes.
		if d := tk.Decode(tk.Encode(" lead", false), false); d != "lead" {
			t.Errorf("split=%v: leading space decodes to %q", split, d)
		}
		for _, s := range []string{"hello  world", "x\n y", "é 🚀"} {
			if d := tk.Decode(tk.Encode(s, false), false); d != s {
				t.Errorf("split=%v: round trip %q -> %q", split, s, d)
			}
			ids, offs := tk.EncodeOffsets(s, false)
			if len(ids) != len(offs) || (len(offs) > 0 && offs[len(offs)-1][1] != len(s)) {
				t.Errorf("split=%v: offsets %v for %q", split, offs, s)
			}
		}
	}
}

func TestGPT2PreTokenizer(t *testing.T) {
	tk := variant(t, tokenizertest.ByteLevel, func(m map[string]any) {
		m["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
	})
	var toks []string
	for _, i := range tk.Encode("hello  world's", false) {
		toks = append(toks, tk.TokenString(i))
	}
	want := []string{"hello", "Ġ", "Ġworld", "'", "s"}
	if !slices.Equal(toks, want) {
		t.Fatalf("tokens %q, want %q", toks, want)
	}
	if v := tk.Vocab(); v.PreTokenizer != "default" {
		t.Fatalf("pre-tokenizer kind %q", v.PreTokenizer)
	}
	for _, s := range []string{"a  b\n\n c", "x 123 4567", "¿Qué? 東京 🚀"} {
		if d := tk.Decode(tk.Encode(s, false), false); d != s {
			t.Errorf("round trip %q -> %q", s, d)
		}
	}
}
