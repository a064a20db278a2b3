package tokenizer_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// FuzzRoundTrip checks, on both tokenizer families, that any valid UTF-8
// text decodes back to itself, that EncodeOffsets agrees with Encode and
// that its spans tile the text.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", " ", "hello world", "a\r\n\n  b\t", "<|im_start|>x<end_of_turn>", "é東京🚀", "I'M 12345 ...!!", "\u00a0\u3000\u0085x"} {
		f.Add(s)
	}
	var tks []*tokenizer.Tokenizer
	for _, write := range []func(testing.TB, string){tokenizertest.ByteLevel, tokenizertest.SentencePiece} {
		dir := f.TempDir()
		write(f, dir)
		tk, err := tokenizer.Load(dir)
		if err != nil {
			f.Fatal(err)
		}
		tks = append(tks, tk)
	}
	spDir := f.TempDir()
	writeSPModel(f, spDir, spPieces(), 2) // Prepend + Replace normalizer, Strip decoder
	spTok, err := tokenizer.Load(spDir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		for _, tk := range append(tks, spTok) {
			ids := tk.Encode(s, false)
			if d := tk.Decode(ids, false); d != s && !(tk == spTok && d == strings.TrimPrefix(s, " ")) {
				t.Fatalf("round trip %q -> %q", s, d)
			}
			ids2, offs := tk.EncodeOffsets(s, true)
			if !slices.Equal(ids2, tk.Encode(s, true)) {
				t.Fatalf("EncodeOffsets ids differ for %q", s)
			}
			pos := 0
			for _, o := range offs {
				if o[1] < o[0] || (o[0] != pos && o[1] != o[0]) {
					t.Fatalf("%q: span %v at %d", s, o, pos)
				}
				pos = max(pos, o[1])
			}
			if pos != len(s) {
				t.Fatalf("%q: spans end at %d", s, pos)
			}
		}
	})
}
