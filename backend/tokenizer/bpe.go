package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// bpe is a byte-pair-encoding model as Hugging Face tokenizers defines it:
// a word starts as one symbol per character (byte-level: per byte), and the
// adjacent pair with the lowest merge rank is merged until none applies; ties
// go to the leftmost pair.
type bpe struct {
	vocab  map[string]int32
	merges map[uint64]merge
	// byteLevel: words arrive as raw bytes; symbol i is byteIDs[word[i]].
	byteLevel bool
	// byteIDs is the id of each byte's symbol: the byte-level rune's token,
	// or the "<0xXX>" token when byteFallback is set (-1 when absent).
	byteIDs      [256]int32
	byteFallback bool
	unk          int32 // -1: none
	fuseUnk      bool
	// ignoreMerges: a word that is itself in the vocabulary is one token.
	ignoreMerges bool
	// rawVocab maps a byte-level token's raw bytes to its id (byteLevel only).
	rawVocab map[string]int32
	// SentencePiece-style words can be whole sentences. metaSplit enables
	// cutting them before a "▁" whose left neighbour never precedes "▁"
	// inside any vocabulary token (crossMeta lists those that do): no merge
	// can span such a cut, so encoding the parts separately is exact, and
	// the parts are short enough for the word cache.
	metaSplit bool
	crossMeta map[rune]bool
	// cutAfterASCII[c]: a cut before "▁" is safe when c precedes it (the
	// common case, answered without hashing).
	cutAfterASCII [utf8.RuneSelf]bool
}

const metaSymbol = "▁"

// initMetaSplit scans the vocabulary for the runes that precede "▁" in a
// token. For Gemma 3 only ">" does (in ">▁</").
func (m *bpe) initMetaSplit() {
	if m.byteLevel {
		return
	}
	if _, ok := m.vocab[metaSymbol]; !ok {
		return
	}
	m.metaSplit = true
	m.crossMeta = map[rune]bool{}
	for tok := range m.vocab {
		var prev rune = -1
		for _, r := range tok {
			if r == '▁' && prev >= 0 {
				m.crossMeta[prev] = true
			}
			prev = r
		}
	}
	for c := range m.cutAfterASCII {
		_, known := m.vocab[string(rune(c))]
		m.cutAfterASCII[c] = known && !m.crossMeta[rune(c)]
	}
}

// safeSplits calls emit for consecutive parts of word that BPE can encode
// independently (see metaSplit).
func (m *bpe) safeSplits(word string, emit func(a, z int)) {
	start := 0
	for i := 0; ; i += len(metaSymbol) {
		k := strings.Index(word[i:], metaSymbol)
		if k < 0 {
			break
		}
		if i += k; i > start && m.cutAfter(word[start:i]) {
			emit(start, i)
			start = i
		}
	}
	emit(start, len(word))
}

// cutAfter reports whether a cut is safe between left and a following "▁":
// left's last character must be a vocabulary symbol (byte-fallback and
// unknown symbols are spelled differently) that no token joins to "▁".
func (m *bpe) cutAfter(left string) bool {
	if c := left[len(left)-1]; c < utf8.RuneSelf {
		return m.cutAfterASCII[c]
	}
	r, w := utf8.DecodeLastRuneInString(left)
	_, known := m.vocab[left[len(left)-w:]]
	return known && !m.crossMeta[r]
}

type merge struct {
	rank int32
	id   int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// symbol is one node of the word being merged: a token id, the input bytes it
// covers, and its neighbours (-1 at the ends).
type symbol struct {
	id         int32
	n          int32
	prev, next int32
}

// appendWord runs BPE over one pre-tokenized piece and appends the resulting
// ids and the byte length of each in word to ids and lens.
func (m *bpe) appendWord(word string, ids, lens []int32) ([]int32, []int32) {
	if len(word) == 0 {
		return ids, lens
	}
	if m.ignoreMerges {
		var id int32
		var ok bool
		if m.byteLevel {
			id, ok = m.rawVocab[word]
		} else {
			id, ok = m.vocab[word]
		}
		if ok {
			return append(ids, id), append(lens, int32(len(word)))
		}
	}
	syms := m.initialSymbols(word)
	if len(syms) <= 48 {
		m.mergeSmall(syms)
	} else {
		m.mergeHeap(syms)
	}
	for i := int32(0); i >= 0 && int(i) < len(syms); i = syms[i].next {
		ids = append(ids, syms[i].id)
		lens = append(lens, syms[i].n)
	}
	return ids, lens
}

func (m *bpe) initialSymbols(word string) []symbol {
	var syms []symbol
	if m.byteLevel {
		syms = make([]symbol, len(word))
		for i := 0; i < len(word); i++ {
			syms[i] = symbol{id: m.byteIDs[word[i]], n: 1}
		}
	} else {
		syms = make([]symbol, 0, len(word))
		var buf [utf8.UTFMax]byte
		for i := 0; i < len(word); {
			_, w := utf8.DecodeRuneInString(word[i:])
			ch := word[i : i+w]
			if id, ok := m.vocab[ch]; ok {
				syms = append(syms, symbol{id: id, n: int32(w)})
			} else if m.byteFallback && m.hasBytes(ch) {
				copy(buf[:], ch)
				for k := 0; k < w; k++ {
					syms = append(syms, symbol{id: m.byteIDs[buf[k]], n: 1})
				}
			} else if m.unk >= 0 {
				if n := len(syms); m.fuseUnk && n > 0 && syms[n-1].id == m.unk {
					syms[n-1].n += int32(w)
				} else {
					syms = append(syms, symbol{id: m.unk, n: int32(w)})
				}
			}
			// Without unk or fallback the character is dropped, as in HF.
			i += w
		}
	}
	for i := range syms {
		syms[i].prev = int32(i - 1)
		syms[i].next = int32(i + 1)
	}
	if n := len(syms); n > 0 {
		syms[n-1].next = -1
	}
	return syms
}

func (m *bpe) hasBytes(ch string) bool {
	for k := 0; k < len(ch); k++ {
		if m.byteIDs[ch[k]] < 0 {
			return false
		}
	}
	return true
}

// mergeSmall is the quadratic merge loop, fastest for short words.
func (m *bpe) mergeSmall(syms []symbol) {
	for {
		best, bestRank, bestID := int32(-1), int32(1<<31-1), int32(0)
		for i := int32(0); i >= 0; i = syms[i].next {
			j := syms[i].next
			if j < 0 {
				break
			}
			if mg, ok := m.merges[pairKey(syms[i].id, syms[j].id)]; ok && mg.rank < bestRank {
				best, bestRank, bestID = i, mg.rank, mg.id
			}
		}
		if best < 0 {
			return
		}
		m.join(syms, best, bestID)
	}
}

// join merges syms[i] with its right neighbour into token id.
func (m *bpe) join(syms []symbol, i, id int32) {
	j := syms[i].next
	syms[i].id = id
	syms[i].n += syms[j].n
	syms[i].next = syms[j].next
	if nx := syms[j].next; nx >= 0 {
		syms[nx].prev = i
	}
	syms[j].n = 0 // marks j as gone
}

type candidate struct {
	rank, pos, left, right int32 // left/right: ids expected at pos and its next
	id                     int32
}

// candHeap is a binary min-heap of merge candidates ordered by (rank,
// pos). It is typed rather than built on container/heap to avoid boxing
// every push into an interface.
type candHeap []candidate

func (h candHeap) less(a, b int) bool {
	if h[a].rank != h[b].rank {
		return h[a].rank < h[b].rank
	}
	return h[a].pos < h[b].pos
}

func (h *candHeap) push(c candidate) {
	*h = append(*h, c)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *candHeap) pop() candidate {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	q.down(0)
	*h = q
	return top
}

func (h candHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h candHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// mergeHeap is the O(n log n) merge loop for long words (SentencePiece-style
// models see a whole sentence as one word). Stale candidates are skipped when
// popped by checking that the pair they were made for is still there.
func (m *bpe) mergeHeap(syms []symbol) {
	h := make(candHeap, 0, len(syms))
	push := func(i int32) {
		j := syms[i].next
		if j < 0 {
			return
		}
		if mg, ok := m.merges[pairKey(syms[i].id, syms[j].id)]; ok {
			h = append(h, candidate{rank: mg.rank, pos: i, left: syms[i].id, right: syms[j].id, id: mg.id})
		}
	}
	for i := int32(0); i >= 0; i = syms[i].next {
		push(i)
	}
	h.init()
	for len(h) > 0 {
		c := h.pop()
		s := &syms[c.pos]
		if s.n == 0 || s.id != c.left || s.next < 0 || syms[s.next].id != c.right {
			continue
		}
		m.join(syms, c.pos, c.id)
		if p := syms[c.pos].prev; p >= 0 {
			if mg, ok := m.merges[pairKey(syms[p].id, syms[c.pos].id)]; ok {
				h.push(candidate{rank: mg.rank, pos: p, left: syms[p].id, right: syms[c.pos].id, id: mg.id})
			}
		}
		if nx := syms[c.pos].next; nx >= 0 {
			if mg, ok := m.merges[pairKey(syms[c.pos].id, syms[nx].id)]; ok {
				h.push(candidate{rank: mg.rank, pos: c.pos, left: syms[c.pos].id, right: syms[nx].id, id: mg.id})
			}
		}
	}
}
