package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Hand-written scanners for the pre-tokenization regexes of the byte-level
// families. Go's regexp has no look-ahead, which `\s+(?!\S)` needs, and a
// scanner is several times faster than any regex engine. Each scanner walks
// the alternatives in order exactly like a backtracking engine would
// (leftmost-first, greedy), calling emit for every match [start, end).

// Character classes, with an ASCII fast path.
const (
	clsOther  = 0
	clsLetter = 1
	clsNumber = 2
	clsSpace  = 3
)

var asciiClass = func() (t [128]uint8) {
	for c := 0; c < 128; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] = clsLetter
		case c >= '0' && c <= '9':
			t[c] = clsNumber
		case c == ' ', c >= '\t' && c <= '\r':
			t[c] = clsSpace
		}
	}
	return t
}()

// isRegexSpace is `\s` as Oniguruma (Hugging Face tokenizers) defines it for
// UTF-8: the Unicode White_Space property.
func isRegexSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

func classOf(r rune) uint8 {
	if r < 128 {
		return asciiClass[r]
	}
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case isRegexSpace(r):
		return clsSpace
	}
	return clsOther
}

// runeAt decodes the rune at s[i:] with an ASCII fast path.
func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// contractionLen returns the length of a case-insensitive 's 't 're 've 'm
// 'll 'd at s[i:] (which starts with '\”), or 0.
func contractionLen(s string, i int) int {
	if i+1 >= len(s) {
		return 0
	}
	lower := func(c byte) byte { return c | 0x20 }
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return 3
		}
	}
	return 0
}

// scanClass advances from i over runes of class cls, at most max runes
// (max <= 0: unlimited). It returns the end offset.
func scanClass(s string, i int, cls uint8, max int) int {
	n := 0
	for i < len(s) && (max <= 0 || n < max) {
		r, w := runeAt(s, i)
		if classOf(r) != cls {
			break
		}
		i += w
		n++
	}
	return i
}

// scanPunct advances over runes that are neither space, letter nor number.
func scanPunct(s string, i int) int {
	for i < len(s) {
		r, w := runeAt(s, i)
		if classOf(r) != clsOther {
			break
		}
		i += w
	}
	return i
}

// scanSpaceTail handles the whitespace alternatives shared by the GPT-2 and
// Llama 3 patterns at a whitespace rune: `\s+(?!\S)` then `\s+`. withNewline
// enables Llama 3's earlier `\s*[\r\n]+`.
func scanSpaceTail(s string, i int, withNewline bool) int {
	k, lastNL, lastStart := i, -1, i
	for k < len(s) {
		r, w := runeAt(s, k)
		if classOf(r) != clsSpace {
			break
		}
		if r == '\r' || r == '\n' {
			lastNL = k + w
		}
		lastStart = k
		k += w
	}
	if withNewline && lastNL > 0 {
		return lastNL
	}
	if k == len(s) || lastStart == i {
		// At the end of text the whole run matches; a single space before a
		// non-space falls to the plain `\s+`.
		return k
	}
	return lastStart
}

// splitLlama3 scans the Llama 3 / Qwen 2 pattern
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(s string, maxDigits int, emit func(start, end int)) {
	for i := 0; i < len(s); {
		r, w := runeAt(s, i)
		cls := classOf(r)
		if r == '\'' {
			if n := contractionLen(s, i); n > 0 {
				emit(i, i+n)
				i += n
				continue
			}
		}
		if cls == clsLetter {
			j := scanClass(s, i, clsLetter, 0)
			emit(i, j)
			i = j
			continue
		}
		if cls != clsNumber && r != '\r' && r != '\n' && i+w < len(s) {
			if r2, _ := runeAt(s, i+w); classOf(r2) == clsLetter {
				j := scanClass(s, i+w, clsLetter, 0)
				emit(i, j)
				i = j
				continue
			}
		}
		if cls == clsNumber {
			j := scanClass(s, i, clsNumber, maxDigits)
			emit(i, j)
			i = j
			continue
		}
		p := i
		if r == ' ' {
			p = i + 1
		}
		if p < len(s) {
			if r2, _ := runeAt(s, p); classOf(r2) == clsOther {
				j := scanPunct(s, p)
				for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
					j++
				}
				emit(i, j)
				i = j
				continue
			}
		}
		// Only whitespace is left.
		j := scanSpaceTail(s, i, true)
		if j <= i {
			j = i + w
		}
		emit(i, j)
		i = j
	}
}

// splitGPT2 scans the GPT-2 byte-level pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(s string, emit func(start, end int)) {
	for i := 0; i < len(s); {
		r, w := runeAt(s, i)
		if r == '\'' {
			if n := contractionLenExact(s, i); n > 0 {
				emit(i, i+n)
				i += n
				continue
			}
		}
		p := i
		if r == ' ' && i+1 < len(s) {
			p = i + 1
		}
		r2, _ := runeAt(s, p)
		cls := classOf(r2)
		if p == i && r == ' ' {
			cls = clsSpace
		}
		switch cls {
		case clsLetter, clsNumber:
			j := scanClass(s, p, cls, 0)
			emit(i, j)
			i = j
			continue
		case clsOther:
			j := scanPunct(s, p)
			emit(i, j)
			i = j
			continue
		}
		j := scanSpaceTail(s, i, false)
		if j <= i {
			j = i + w
		}
		emit(i, j)
		i = j
	}
}

// contractionLenExact is contractionLen without case folding (GPT-2).
func contractionLenExact(s string, i int) int {
	if i+1 >= len(s) {
		return 0
	}
	switch s[i+1] {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && s[i+2] == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && s[i+2] == 'l' {
			return 3
		}
	}
	return 0
}
