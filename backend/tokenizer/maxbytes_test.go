package tokenizer_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// mixedText builds text of the kinds a chat dataset holds: words, runs of
// spaces and newlines, accents, CJK, emoji, compatibility characters that
// NFKC shrinks, and turn markers.
func mixedText(r *rand.Rand, n int) string {
	parts := []string{"hello", " world", "  ", "\n", "\n\n", " ", "é", "e\u0301", "空", "👩‍💻", "𝐀", "①", "ﬁ", "K",
		"<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>", "1234567", "mu", "'s", "----", "\t"}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// checkSpans asserts that no token of many texts spans more input bytes
// than MaxTokenBytes promises, and that the spans tile the text.
func checkSpans(t *testing.T, tk *tokenizer.Tokenizer) {
	t.Helper()
	bound, ok := tk.MaxTokenBytes()
	if !ok || bound <= 0 {
		t.Fatalf("MaxTokenBytes = %d, %v; want a bound", bound, ok)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		text := mixedText(r, 50+r.IntN(400))
		_, offs := tk.EncodeOffsets(text, true)
		end := 0
		for k, o := range offs {
			if o[1]-o[0] > bound {
				t.Fatalf("token %d of %q spans %d bytes, over the bound %d", k, text, o[1]-o[0], bound)
			}
			if o[0] > end {
				t.Fatalf("token %d of %q starts at %d, leaving bytes %d..%d uncovered", k, text, o[0], end, o[0])
			}
			end = max(end, o[1])
		}
		if end != len(text) {
			t.Fatalf("tokens of %q end at %d of %d bytes", text, end, len(text))
		}
	}
}

func TestMaxTokenBytesFixtures(t *testing.T) {
	bl, sp := loadByteLevel(t), loadSPM(t)
	checkSpans(t, bl)
	checkSpans(t, sp)
	// The byte-level fixture's longest token is <|im_start|> (12 bytes).
	if n, _ := bl.MaxTokenBytes(); n != len("<|im_start|>") {
		t.Errorf("byte-level bound %d, want %d", n, len("<|im_start|>"))
	}
}

// Normalizers that shrink text widen the bound; one that deletes text
// leaves none.
func TestMaxTokenBytesNormalizers(t *testing.T) {
	for _, c := range []struct {
		name       string
		normalizer any
		ok         bool
	}{
		{"NFKC", map[string]any{"type": "NFKC"}, true},
		{"NFC then lowercase", map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "NFC"}, map[string]any{"type": "Lowercase"}}}, true},
		{"shrinking replace", map[string]any{"type": "Replace", "pattern": map[string]any{"String": "----"}, "content": "-"}, true},
		{"deleting replace", map[string]any{"type": "Replace", "pattern": map[string]any{"String": "x"}, "content": ""}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			tokenizertest.ByteLevel(t, dir)
			path := filepath.Join(dir, "tokenizer.json")
			var tj map[string]any
			data, _ := os.ReadFile(path)
			if err := json.Unmarshal(data, &tj); err != nil {
				t.Fatal(err)
			}
			tj["normalizer"] = c.normalizer
			data, _ = json.Marshal(tj)
			os.WriteFile(path, data, 0o644)
			tk, err := tokenizer.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tk.MaxTokenBytes(); ok != c.ok {
				t.Fatalf("bound available %v, want %v", ok, c.ok)
			}
			if c.ok {
				checkSpans(t, tk)
			}
		})
	}
}

// The reference tokenizers, when ../shared is there.
func TestMaxTokenBytesShared(t *testing.T) {
	for _, name := range []string{"gemma3", "llama3", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			tk, err := tokenizer.Load(sharedtest.Path(t, "refsets", "visible", "tokenizers", name))
			if err != nil {
				t.Fatal(err)
			}
			n, _ := tk.MaxTokenBytes()
			t.Logf("%s: a token covers at most %d bytes", name, n)
			checkSpans(t, tk)
		})
	}
}
