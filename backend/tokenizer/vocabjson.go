package tokenizer

import (
	"bytes"
	"encoding/json/jsontext"
	"fmt"
	"math"
	"strings"
)

// The vocabulary and merges are most of a tokenizer.json (Gemma 3: 262k
// tokens and 515k merges in 33 MB). Reading them token by token, instead of
// by reflection into a growing map and slice, cuts the load time severalfold.

// parseVocab decodes model.vocab, an object of token: id.
func parseVocab(raw []byte) (map[string]int32, error) {
	d := newTokenDecoder(raw)
	if err := readDelim(d, '{'); err != nil {
		return nil, err
	}
	type entry struct {
		tok string
		id  int32
	}
	entries := make([]entry, 0, len(raw)/24)
	for d.PeekKind() != '}' {
		k, err := d.ReadToken()
		if err != nil {
			return nil, err
		}
		tok := k.String()
		v, err := d.ReadToken()
		if err != nil {
			return nil, err
		}
		if v.Kind() != '0' {
			return nil, fmt.Errorf("token %q: id is %s, not a number", tok, v.Kind())
		}
		n, err := v.Int()
		if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, fmt.Errorf("token %q: id %s is not a 32-bit integer", tok, v)
		}
		entries = append(entries, entry{tok, int32(n)})
	}
	if err := readDelim(d, '}'); err != nil {
		return nil, err
	}
	vocab := make(map[string]int32, len(entries))
	for _, e := range entries {
		vocab[e.tok] = e.id
	}
	return vocab, nil
}

// parseMerges accepts both spellings: ["a b", ...] and [["a","b"], ...].
func parseMerges(raw []byte) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	d := newTokenDecoder(raw)
	if err := readDelim(d, '['); err != nil {
		return nil, fmt.Errorf("model.merges: %w", err)
	}
	pairs := make([][2]string, 0, len(raw)/16)
	for d.PeekKind() != ']' {
		i := len(pairs)
		switch d.PeekKind() {
		case '"':
			t, err := d.ReadToken()
			if err != nil {
				return nil, fmt.Errorf("model.merges[%d]: %w", i, err)
			}
			m := t.String()
			a, b, ok := strings.Cut(m, " ")
			if !ok {
				return nil, fmt.Errorf("model.merges[%d] %q: no space between the two parts", i, m)
			}
			pairs = append(pairs, [2]string{a, b})
		case '[':
			var p [2]string
			if err := readDelim(d, '['); err != nil {
				return nil, fmt.Errorf("model.merges[%d]: %w", i, err)
			}
			for k := range p {
				t, err := d.ReadToken()
				if err != nil {
					return nil, fmt.Errorf("model.merges[%d]: %w", i, err)
				}
				if t.Kind() != '"' {
					return nil, fmt.Errorf("model.merges[%d]: want two strings, got %s", i, t.Kind())
				}
				p[k] = t.String()
			}
			if err := readDelim(d, ']'); err != nil {
				return nil, fmt.Errorf("model.merges[%d]: want exactly two strings: %w", i, err)
			}
			pairs = append(pairs, p)
		default:
			return nil, fmt.Errorf("model.merges[%d]: neither \"a b\" nor [\"a\",\"b\"] (got %s)", i, d.PeekKind())
		}
	}
	if err := readDelim(d, ']'); err != nil {
		return nil, fmt.Errorf("model.merges: %w", err)
	}
	return pairs, nil
}

// newTokenDecoder reads raw without checking for duplicate names (a
// vocabulary has hundreds of thousands; the last one wins, as in
// encoding/json).
func newTokenDecoder(raw []byte) *jsontext.Decoder {
	return jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowDuplicateNames(true))
}

// readDelim reads one token and checks that it is the delimiter want.
func readDelim(d *jsontext.Decoder, want jsontext.Kind) error {
	t, err := d.ReadToken()
	if err != nil {
		return err
	}
	if t.Kind() != want {
		return fmt.Errorf("want %s, got %s", want, t.Kind())
	}
	return nil
}
