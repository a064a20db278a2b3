package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a text segment before pre-tokenization. When align is
// requested it also returns, for every output byte, the offset of the input
// byte it came from (plus one final entry for the end), so token offsets can
// be mapped back to the user's text.
type normalizer interface {
	normalize(s string, align bool) (string, []int32)
}

// identityAlign is the alignment of an unchanged string.
func identityAlign(n int) []int32 {
	a := make([]int32, n+1)
	for i := range a {
		a[i] = int32(i)
	}
	return a
}

// replaceNormalizer replaces every occurrence of a literal string.
type replaceNormalizer struct{ from, to string }

func (r replaceNormalizer) normalize(s string, align bool) (string, []int32) {
	if !align {
		if r.from == "" || !strings.Contains(s, r.from) {
			return s, nil
		}
		return strings.ReplaceAll(s, r.from, r.to), nil
	}
	return r.normalizeInto(s, nil)
}

// alignReuser is a normalizer that can write its alignment into a buffer
// the caller reuses: EncodeOffsets normalizes a chat segment by segment
// (Gemma cuts at every newline), and one buffer per call beats one
// allocation per segment.
type alignReuser interface {
	normalizeInto(s string, buf []int32) (string, []int32)
}

// normalizeInto is normalize with alignment, written into buf's storage
// when it is large enough.
func (r replaceNormalizer) normalizeInto(s string, buf []int32) (string, []int32) {
	if r.from == "" || !strings.Contains(s, r.from) {
		a := slices.Grow(buf[:0], len(s)+1)[:len(s)+1]
		for i := range a {
			a[i] = int32(i)
		}
		return s, a
	}
	// Sized exactly up front: this runs on every segment of every row.
	n := len(s) + strings.Count(s, r.from)*(len(r.to)-len(r.from))
	var sb strings.Builder
	sb.Grow(n)
	a := slices.Grow(buf[:0], n+1)
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], r.from)
		if k < 0 {
			k = len(s) - i
		}
		sb.WriteString(s[i : i+k])
		for j := i; j < i+k; j++ {
			a = append(a, int32(j))
		}
		if i += k; i == len(s) {
			break
		}
		sb.WriteString(r.to)
		for range len(r.to) {
			a = append(a, int32(i))
		}
		i += len(r.from)
	}
	a = append(a, int32(len(s)))
	return sb.String(), a
}

// prependNormalizer adds a prefix to non-empty segments (Llama 2's "▁").
type prependNormalizer struct{ prefix string }

func (p prependNormalizer) normalize(s string, align bool) (string, []int32) {
	if s == "" {
		if align {
			return s, identityAlign(0)
		}
		return s, nil
	}
	out := p.prefix + s
	if !align {
		return out, nil
	}
	a := make([]int32, 0, len(out)+1)
	for range len(p.prefix) {
		a = append(a, 0)
	}
	a = append(a, identityAlign(len(s))...)
	return out, a
}

// unicodeNormalizer applies NFC, NFD, NFKC or NFKD. Alignment is kept per
// normalization segment (a starter and its combining marks), the finest unit
// that the Unicode algorithms guarantee.
type unicodeNormalizer struct{ form norm.Form }

func (u unicodeNormalizer) normalize(s string, align bool) (string, []int32) {
	if u.form.IsNormalString(s) {
		if align {
			return s, identityAlign(len(s))
		}
		return s, nil
	}
	if !align {
		return u.form.String(s), nil
	}
	var it norm.Iter
	it.InitString(u.form, s)
	var sb strings.Builder
	a := make([]int32, 0, len(s)+1)
	start := 0
	for !it.Done() {
		seg := it.Next()
		sb.Write(seg)
		for range seg {
			a = append(a, int32(start))
		}
		start = it.Pos()
	}
	a = append(a, int32(len(s)))
	return sb.String(), a
}

// lowercaseNormalizer lowercases (BERT-style uncased models).
type lowercaseNormalizer struct{}

func (lowercaseNormalizer) normalize(s string, align bool) (string, []int32) {
	var sb strings.Builder
	var a []int32
	for i, r := range s {
		before := sb.Len()
		sb.WriteRune(toLowerRune(r))
		if align {
			for k := before; k < sb.Len(); k++ {
				a = append(a, int32(i))
			}
		}
	}
	if align {
		a = append(a, int32(len(s)))
	}
	return sb.String(), a
}

func toLowerRune(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return r
	}
	return []rune(strings.ToLower(string(r)))[0]
}

// sequenceNormalizer chains normalizers, composing their alignments.
type sequenceNormalizer []normalizer

func (q sequenceNormalizer) normalize(s string, align bool) (string, []int32) {
	var a []int32
	if align {
		a = identityAlign(len(s))
	}
	for _, n := range q {
		out, step := n.normalize(s, align)
		if align {
			comp := make([]int32, len(step))
			for i, src := range step {
				comp[i] = a[src]
			}
			a = comp
		}
		s = out
	}
	return s, a
}

// parseNormalizer builds a normalizer from tokenizer.json's "normalizer".
func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var n struct {
		Type        string            `json:"type"`
		Normalizers []json.RawMessage `json:"normalizers"`
		Pattern     struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
		Content string `json:"content"`
		Prepend string `json:"prepend"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch n.Type {
	case "Sequence":
		var seq sequenceNormalizer
		for _, r := range n.Normalizers {
			sub, err := parseNormalizer(r)
			if err != nil {
				return nil, err
			}
			if sub != nil {
				seq = append(seq, sub)
			}
		}
		return seq, nil
	case "Replace":
		if n.Pattern.String == nil {
			return nil, fmt.Errorf("normalizer Replace: only string patterns are supported")
		}
		return replaceNormalizer{from: *n.Pattern.String, to: n.Content}, nil
	case "Prepend":
		return prependNormalizer{prefix: n.Prepend}, nil
	case "NFC":
		return unicodeNormalizer{norm.NFC}, nil
	case "NFD":
		return unicodeNormalizer{norm.NFD}, nil
	case "NFKC":
		return unicodeNormalizer{norm.NFKC}, nil
	case "NFKD":
		return unicodeNormalizer{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNormalizer{}, nil
	}
	return nil, fmt.Errorf("unsupported normalizer type %q", n.Type)
}

func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw) // no copy: raw can be megabytes of merges
	return len(s) == 0 || string(s) == "null"
}
