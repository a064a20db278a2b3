package tokenizer

import (
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

// TestMetaSplitIsExact compares encoding long SentencePiece words with and
// without the safe cuts before "▁": the ids must be identical.
func TestMetaSplitIsExact(t *testing.T) {
	dir := t.TempDir()
	tokenizertest.SentencePiece(t, dir)
	tk, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !tk.model.metaSplit || !tk.model.crossMeta['▁'] || tk.model.crossMeta['d'] {
		t.Fatalf("metaSplit %v crossMeta %v", tk.model.metaSplit, tk.model.crossMeta)
	}
	plain := *tk
	model := *tk.model
	model.metaSplit = false
	plain.model = &model
	plain.cache = newWordCache()
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"h", "e", "l", "o", "w", "r", "d", " ", " ", "▁", "é", "\n", "hello", " world"}
	for i := 0; i < 300; i++ {
		var sb strings.Builder
		for n := rng.Intn(200); n > 0; n-- {
			sb.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		s := sb.String()
		if got, want := tk.Encode(s, false), plain.Encode(s, false); !slices.Equal(got, want) {
			t.Fatalf("%q: with cuts %v, without %v", s, got, want)
		}
	}
}
