package chattemplate

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// TestMaskWithRealTokenizers runs the whole train-on-responses-only path on
// the real tokenizer folders: Renderer from the folder's Config, spans,
// EncodeOffsets, TokenMask. The trainable tokens must decode to exactly the
// span texts, and the full ids must be what encoding the text gives.
func TestMaskWithRealTokenizers(t *testing.T) {
	dir := sharedtest.Path(t, "refsets", "visible", "tokenizers")
	msgs := []Message{
		{Role: "system", Content: "You are terse."},
		{Role: "user", Content: "Capital of France?"},
		{Role: "assistant", Content: "Paris."},
		{Role: "human", Content: "And of Japan, 日本?"},
		{Role: "gpt", Content: "Tokyo (東京). <end_of_turn> stays text? No: it is special."},
	}
	for _, m := range []string{"qwen3", "llama3", "gemma3"} {
		t.Run(m, func(t *testing.T) {
			tk, err := tokenizer.Load(filepath.Join(dir, m))
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewRenderer(tk.Config())
			if err != nil {
				t.Fatal(err)
			}
			in := msgs // Gemma folds the system prompt into the first user turn
			text, spans, err := r.RenderWithSpans(in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(spans) != 2 {
				t.Fatalf("%d spans, want 2", len(spans))
			}
			ids, offs := tk.EncodeOffsets(text, false)
			mask := TokenMask(offs, spans)
			var got []string
			var cur []int
			for i, on := range mask {
				if on {
					cur = append(cur, ids[i])
				} else if cur != nil {
					got = append(got, tk.DecodeRaw(cur, false))
					cur = nil
				}
			}
			if cur != nil {
				got = append(got, tk.DecodeRaw(cur, false))
			}
			if len(got) != len(spans) {
				t.Fatalf("trainable runs %q, want %d", got, len(spans))
			}
			for k, sp := range spans {
				if want := text[sp.Start:sp.End]; got[k] != want {
					t.Errorf("run %d decodes to %q, want span text %q", k, got[k], want)
				}
				if !strings.Contains(got[k], strings.TrimSpace(in[sp.Message].Content)[:5]) {
					t.Errorf("run %d %q lacks its content", k, got[k])
				}
			}
		})
	}
}
