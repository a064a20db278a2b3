package tokenizer

// MaxTokenBytes returns the most bytes of input text that one token's
// offsets (EncodeOffsets) can span. Callers use it to know how much of a
// long text the first n tokens can depend on: since the offsets tile the
// text, the first n tokens lie within its first n × MaxTokenBytes bytes.
// ok is false when no such bound exists: a model that maps any run of
// unknown characters to one token (fuse_unk without byte fallback), drops
// characters it cannot encode, or a normalizer that deletes text.
//
// The bound is the longest token, in the bytes of the normalized text it
// is matched on, carried back through the normalizer to the input: the
// normalizers that can shrink text (Unicode forms, lowercasing, a shorter
// replacement) widen it. It scans the vocabulary: call it once, not per
// text.
func (t *Tokenizer) MaxTokenBytes() (n int, ok bool) {
	m := t.model
	if m.byteLevel {
		for raw := range m.rawVocab {
			n = max(n, len(raw))
		}
	} else {
		for _, tok := range t.tokens {
			n = max(n, len(tok)) // "▁" and "<0xXX>" stand for fewer input bytes: an overestimate is safe
		}
		complete := m.byteFallback
		for _, id := range m.byteIDs {
			complete = complete && id >= 0
		}
		switch {
		case complete: // every character encodes, at worst as its bytes
		case m.unk >= 0 && !m.fuseUnk:
			n = max(n, 4) // one unknown character, at most 4 bytes
		default:
			return 0, false
		}
	}
	for _, a := range t.added {
		n = max(n, len(a.Content))
	}
	return widen(t.normalizer, n)
}

// widen carries a bound on normalized bytes back to the input bytes they
// came from, through n's alignment (see normalize.go).
func widen(n normalizer, bytes int) (int, bool) {
	switch n := n.(type) {
	case nil:
		return bytes, true
	case sequenceNormalizer:
		// The last step's output is what tokens see: undo the steps from it.
		for i := len(n) - 1; i >= 0; i-- {
			var ok bool
			if bytes, ok = widen(n[i], bytes); !ok {
				return 0, false
			}
		}
		return bytes, true
	case replaceNormalizer:
		if n.from == "" {
			return bytes, true
		}
		if n.to == "" {
			return 0, false // deleted text is covered by no token
		}
		// Each len(to) output bytes stand for len(from) input bytes, and a
		// token that starts inside a replacement reaches back to its start.
		ratio := (len(n.from) + len(n.to) - 1) / len(n.to)
		return bytes*ratio + len(n.from), true
	case prependNormalizer:
		return bytes, true // the prefix stands for no input
	case unicodeNormalizer:
		// A character of up to 4 bytes can become 1 (NFKC's "𝐀" → "A"),
		// and offsets are kept per normalization segment, which in
		// golang.org/x/text is at most 128 bytes of input.
		return 4*bytes + 128, true
	case lowercaseNormalizer:
		return 4*bytes + 4, true // per character, as above
	}
	return 0, false // a normalizer this bound does not know
}
