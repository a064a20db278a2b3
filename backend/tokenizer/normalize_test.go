package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// slowReplace is the obvious byte-at-a-time Replace with alignment, the
// reference for the fast one.
func slowReplace(s, from, to string) (string, []int32) {
	var sb strings.Builder
	var a []int32
	for i := 0; i < len(s); {
		if from != "" && strings.HasPrefix(s[i:], from) {
			sb.WriteString(to)
			for range len(to) {
				a = append(a, int32(i))
			}
			i += len(from)
			continue
		}
		sb.WriteByte(s[i])
		a = append(a, int32(i))
		i++
	}
	return sb.String(), append(a, int32(len(s)))
}

func TestReplaceNormalizerAlignment(t *testing.T) {
	texts := []string{"", "a", " ", "hello world", "  two  spaces ", "no-space", "ab ab", "abab", "aba", "é é", " 数据 学习 "}
	for _, r := range []replaceNormalizer{{" ", "▁"}, {"ab", "X"}, {"ab", ""}, {"é", "e\u0301"}, {"", "x"}} {
		var buf []int32
		for _, s := range texts {
			wantS, wantA := slowReplace(s, r.from, r.to)
			gotS, gotA := r.normalize(s, true)
			if gotS != wantS || !slices.Equal(gotA, wantA) {
				t.Errorf("%q->%q on %q: got %q %v, want %q %v", r.from, r.to, s, gotS, gotA, wantS, wantA)
			}
			// The buffer reused across calls, as EncodeOffsets does.
			gotS, buf = r.normalizeInto(s, buf)
			if gotS != wantS || !slices.Equal(buf, wantA) {
				t.Errorf("%q->%q on %q, reused buffer: got %q %v, want %q %v", r.from, r.to, s, gotS, buf, wantS, wantA)
			}
			if plain, a := r.normalize(s, false); plain != wantS || a != nil {
				t.Errorf("%q->%q on %q without alignment: got %q %v", r.from, r.to, s, plain, a)
			}
		}
	}
}
