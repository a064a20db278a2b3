package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// AddedToken is an entry of tokenizer.json's "added_tokens": a string that is
// matched in the text before normalization (or after, when Normalized) and
// never split by the model.
type AddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// addedMatcher finds added tokens leftmost-longest with a byte trie, the
// semantics of Hugging Face's Aho-Corasick matcher.
type addedMatcher struct {
	nodes  []trieNode
	tokens []AddedToken
	// first marks the bytes that start some token: a cheap pre-filter.
	first [256]bool
}

type trieNode struct {
	next  map[byte]int32
	token int32 // index into tokens, -1 if none ends here
}

func newAddedMatcher(tokens []AddedToken) *addedMatcher {
	m := &addedMatcher{nodes: []trieNode{{token: -1}}}
	for _, t := range tokens {
		if t.Content == "" {
			continue
		}
		n := int32(0)
		for i := 0; i < len(t.Content); i++ {
			c := t.Content[i]
			nx, ok := m.nodes[n].next[c]
			if !ok {
				if m.nodes[n].next == nil {
					m.nodes[n].next = map[byte]int32{}
				}
				nx = int32(len(m.nodes))
				m.nodes[n].next[c] = nx
				m.nodes = append(m.nodes, trieNode{token: -1})
			}
			n = nx
		}
		m.first[t.Content[0]] = true
		m.nodes[n].token = int32(len(m.tokens))
		m.tokens = append(m.tokens, t)
	}
	return m
}

func (m *addedMatcher) empty() bool { return m == nil || len(m.tokens) == 0 }

// longestAt returns the token index of the longest token starting at s[i:].
func (m *addedMatcher) longestAt(s string, i int) (tok int32, end int) {
	tok, end = -1, i
	n := int32(0)
	for j := i; j < len(s); j++ {
		nx, ok := m.nodes[n].next[s[j]]
		if !ok {
			break
		}
		n = nx
		if t := m.nodes[n].token; t >= 0 {
			tok, end = t, j+1
		}
	}
	return tok, end
}

// segment is a piece of input: either text to encode or one added token.
type segment struct {
	start, end int
	token      int32 // -1 for text
}

// split cuts s into text segments and added-token matches. lstrip/rstrip
// extend a match over adjacent whitespace; single_word rejects matches inside
// a word.
func (m *addedMatcher) split(s string, segs []segment) []segment {
	if m.empty() {
		return append(segs, segment{0, len(s), -1})
	}
	textStart := 0
	for i := 0; i < len(s); {
		if !m.first[s[i]] {
			i++
			continue
		}
		ti, end := m.longestAt(s, i)
		if ti < 0 {
			i++
			continue
		}
		t := &m.tokens[ti]
		if t.SingleWord && !isWordBoundary(s, i, end) {
			i++
			continue
		}
		start := i
		if t.LStrip {
			for start > textStart {
				r, w := utf8.DecodeLastRuneInString(s[:start])
				if !unicode.IsSpace(r) {
					break
				}
				start -= w
			}
		}
		if t.RStrip {
			for end < len(s) {
				r, w := utf8.DecodeRuneInString(s[end:])
				if !unicode.IsSpace(r) {
					break
				}
				end += w
			}
		}
		if start > textStart {
			segs = append(segs, segment{textStart, start, -1})
		}
		segs = append(segs, segment{start, end, int32(t.ID)})
		textStart, i = end, end
	}
	if textStart < len(s) {
		segs = append(segs, segment{textStart, len(s), -1})
	}
	return segs
}

func isWordBoundary(s string, start, end int) bool {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' }
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:start]); isWord(r) {
			return false
		}
	}
	if end < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[end:]); isWord(r) {
			return false
		}
	}
	return true
}
