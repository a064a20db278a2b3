// Package tokenizer encodes and decodes text exactly like Hugging Face
// tokenizers for the BPE families Whetstone fine-tunes: byte-level BPE with
// regex pre-tokenization (Llama 3, Qwen 2.5/3) and SentencePiece-style BPE
// with byte fallback (Gemma 3, Llama 2). It reads tokenizer.json and the
// companion config files of a model folder; parity with transformers is
// checked against the team's reference cases.
package tokenizer

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Tokenizer is safe for concurrent use.
type Tokenizer struct {
	tokens    []string // id -> token string ("" for holes)
	tokenToID map[string]int
	special   []bool // id -> added token marked special
	added     []AddedToken

	model      *bpe
	rawAdded   *addedMatcher // added tokens matched on the raw text
	normAdded  *addedMatcher // added tokens matched after normalization
	normalizer normalizer
	pre        preTokenizer
	post       postProcessor
	decoder    decoder

	byteLevel bool
	preKind   string
	merges    [][2]string
	scores    []float32
	cfg       Config
	cache     *wordCache
}

// modelSpec gathers the parsed parts of a tokenizer before assembly.
type modelSpec struct {
	vocab        map[string]int32
	merges       [][2]string
	scores       []float32
	unk          string
	byteFallback bool
	fuseUnk      bool
	ignoreMerges bool
	byteLevel    bool
	added        []AddedToken
	normalizer   normalizer
	pre          preTokenizer
	preKind      string
	decoder      decoder
	postRaw      json.RawMessage
	post         *postProcessor
}

func build(s modelSpec) (*Tokenizer, error) {
	if len(s.vocab) == 0 {
		return nil, fmt.Errorf("model.vocab is empty")
	}
	size := 0
	for tok, id := range s.vocab {
		if id < 0 {
			return nil, fmt.Errorf("model.vocab: token %q has negative id %d", tok, id)
		}
		size = max(size, int(id)+1)
	}
	for _, a := range s.added {
		if a.ID < 0 {
			return nil, fmt.Errorf("added_tokens: %q has negative id %d", a.Content, a.ID)
		}
		size = max(size, a.ID+1)
	}
	t := &Tokenizer{
		tokens:     make([]string, size),
		tokenToID:  make(map[string]int, size),
		special:    make([]bool, size),
		added:      s.added,
		normalizer: s.normalizer,
		pre:        s.pre,
		decoder:    s.decoder,
		byteLevel:  s.byteLevel,
		preKind:    s.preKind,
		merges:     s.merges,
		scores:     s.scores,
		cfg:        Config{BOSID: -1, EOSID: -1, PadID: -1, UnkID: -1, SpecialTokens: map[string]any{}},
		cache:      newWordCache(),
	}
	// Filling the id tables and resolving the merges are the slow parts of
	// a load (Gemma 3: 262k tokens, 515k merges) and only read s.vocab:
	// they run side by side.
	vocabDone := make(chan struct{})
	go func() {
		defer close(vocabDone)
		for tok, id := range s.vocab {
			t.tokens[id] = tok
			t.tokenToID[tok] = int(id)
		}
	}()
	m, err := newBPE(s)
	<-vocabDone
	if err != nil {
		return nil, err
	}
	var rawAdded, normAdded []AddedToken
	for _, a := range s.added {
		t.tokens[a.ID] = a.Content
		t.tokenToID[a.Content] = a.ID
		t.special[a.ID] = a.Special
		if a.Normalized && !a.Special {
			normAdded = append(normAdded, a)
		} else {
			rawAdded = append(rawAdded, a)
		}
	}
	t.rawAdded = newAddedMatcher(rawAdded)
	t.normAdded = newAddedMatcher(normAdded)

	t.model = m
	if s.post != nil {
		t.post = *s.post
	} else {
		pp, err := parsePostProcessor(s.postRaw, t.TokenID)
		if err != nil {
			return nil, err
		}
		t.post = pp
	}
	return t, nil
}

// newBPE builds the BPE model of s: byte symbols and merge ranks by id.
func newBPE(s modelSpec) (*bpe, error) {
	m := &bpe{
		vocab:        s.vocab,
		merges:       make(map[uint64]merge, len(s.merges)),
		byteLevel:    s.byteLevel,
		byteFallback: s.byteFallback,
		unk:          -1,
		fuseUnk:      s.fuseUnk,
		ignoreMerges: s.ignoreMerges,
	}
	if s.unk != "" {
		id, ok := s.vocab[s.unk]
		if !ok {
			return nil, fmt.Errorf("model.unk_token %q is not in the vocabulary", s.unk)
		}
		m.unk = id
	}
	for b := 0; b < 256; b++ {
		m.byteIDs[b] = -1
		var name string
		switch {
		case s.byteLevel:
			name = string(byteToRune[b])
		case s.byteFallback:
			name = fmt.Sprintf("<0x%02X>", b)
		default:
			continue
		}
		if id, ok := s.vocab[name]; ok {
			m.byteIDs[b] = id
		} else if s.byteLevel {
			return nil, fmt.Errorf("model.vocab: byte-level token %q for byte 0x%02X is missing", name, b)
		}
	}
	for i, mg := range s.merges {
		a, okA := s.vocab[mg[0]]
		b, okB := s.vocab[mg[1]]
		c, okC := s.vocab[mg[0]+mg[1]]
		if !okA || !okB || !okC {
			return nil, fmt.Errorf("model.merges[%d] %q + %q: token not in the vocabulary", i, mg[0], mg[1])
		}
		key := pairKey(a, b)
		if _, dup := m.merges[key]; !dup {
			m.merges[key] = merge{rank: int32(i), id: c}
		}
	}
	if s.byteLevel {
		m.rawVocab = make(map[string]int32, len(s.vocab))
		for tok, id := range s.vocab {
			if raw, ok := byteLevelDecode(tok); ok {
				m.rawVocab[string(raw)] = id
			}
		}
	}
	m.initMetaSplit()
	return m, nil
}

// Encode returns the token ids of text. addSpecial adds the post-processor's
// special tokens (e.g. Gemma's <bos>), like add_special_tokens=True.
func (t *Tokenizer) Encode(text string, addSpecial bool) []int {
	ids, _ := t.encode(text, addSpecial, false)
	return ids
}

// EncodeOffsets is Encode plus each token's byte span [start, end) in text.
// Special tokens added by the post-processor get an empty span at the
// position where they are inserted. Unlike Hugging Face's trim_offsets, the
// spans are not trimmed: together they tile the text (a byte-level token
// that holds part of a multi-byte character spans just its bytes; when
// normalization rewrote a character into several tokens, the last one
// carries the character's span and the others are empty at its start).
func (t *Tokenizer) EncodeOffsets(text string, addSpecial bool) (ids []int, offsets [][2]int) {
	return t.encode(text, addSpecial, true)
}

// EncodeBatch encodes texts in parallel over all cores.
func (t *Tokenizer) EncodeBatch(texts []string, addSpecial bool) [][]int {
	out := make([][]int, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(texts) {
					return
				}
				out[i] = t.Encode(texts[i], addSpecial)
			}
		}()
	}
	wg.Wait()
	return out
}

func (t *Tokenizer) encode(text string, addSpecial, withOffsets bool) ([]int, [][2]int) {
	// Sized for about four bytes a token, so that long texts do not regrow
	// these slices many times over.
	est := len(text)/4 + 8
	ids, lens := make([]int32, 0, est), make([]int32, 0, est)
	var offs [][2]int
	if withOffsets {
		offs = make([][2]int, 0, est)
	}
	if addSpecial {
		for _, id := range t.post.prefix {
			ids = append(ids, id)
			if withOffsets {
				offs = append(offs, [2]int{0, 0})
			}
		}
	}
	// Chat text is cut at every turn marker and, for Gemma, every newline.
	segs := t.rawAdded.split(text, make([]segment, 0, 8+len(text)/32))
	var alignBuf []int32 // see alignReuser
	for _, sg := range segs {
		if sg.token >= 0 {
			ids = append(ids, sg.token)
			if withOffsets {
				offs = append(offs, [2]int{sg.start, sg.end})
			}
			continue
		}
		raw := text[sg.start:sg.end]
		normed, align := raw, []int32(nil)
		if ar, ok := t.normalizer.(alignReuser); ok && withOffsets {
			normed, align = ar.normalizeInto(raw, alignBuf)
			alignBuf = align
		} else if t.normalizer != nil {
			normed, align = t.normalizer.normalize(raw, withOffsets)
		}
		mapOff := func(a, z int) [2]int {
			if align != nil {
				return [2]int{sg.start + int(align[a]), sg.start + int(align[z])}
			}
			return [2]int{sg.start + a, sg.start + z}
		}
		for _, ns := range t.normAdded.split(normed, make([]segment, 0, 2)) {
			if ns.token >= 0 {
				ids = append(ids, ns.token)
				if withOffsets {
					offs = append(offs, mapOff(ns.start, ns.end))
				}
				continue
			}
			part := normed[ns.start:ns.end]
			first := sg.start == 0 && ns.start == 0
			emit := func(piece string, a, z int) {
				n0 := len(ids)
				ids, lens = t.encodePiece(piece, ids, lens)
				if !withOffsets {
					return
				}
				pos := ns.start + a
				lim := ns.start + z
				for k := n0; k < len(ids); k++ {
					s := min(pos, lim)
					e := min(pos+int(lens[k]), lim)
					offs = append(offs, mapOff(s, e))
					pos += int(lens[k])
				}
			}
			if t.pre == nil {
				emit(part, 0, len(part))
			} else {
				t.pre.split(part, first, emit)
			}
		}
	}
	if addSpecial {
		end := len(text)
		for _, id := range t.post.suffix {
			ids = append(ids, id)
			if withOffsets {
				offs = append(offs, [2]int{end, end})
			}
		}
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out, offs
}

// encodePiece runs the model on one pre-tokenized piece, through the cache.
func (t *Tokenizer) encodePiece(piece string, ids, lens []int32) ([]int32, []int32) {
	for len(lens) < len(ids) {
		lens = append(lens, 0)
	}
	// SentencePiece-style pieces are whole sentences, which rarely repeat:
	// cut them into words first so the cache serves them, however short.
	if t.model.metaSplit {
		t.model.safeSplits(piece, func(a, z int) {
			ids, lens = t.encodeCached(piece[a:z], ids, lens)
		})
		return ids, lens
	}
	return t.encodeCached(piece, ids, lens)
}

func (t *Tokenizer) encodeCached(piece string, ids, lens []int32) ([]int32, []int32) {
	if len(piece) > maxCachedWord {
		return t.model.appendWord(piece, ids, lens)
	}
	if hit, ok := t.cache.get(piece); ok {
		for k := 0; k < len(hit); k += 2 {
			ids = append(ids, hit[k])
			lens = append(lens, hit[k+1])
		}
		return ids, lens
	}
	n0 := len(ids)
	ids, lens = t.model.appendWord(piece, ids, lens)
	val := make([]int32, 0, 2*(len(ids)-n0))
	for k := n0; k < len(ids); k++ {
		val = append(val, ids[k], lens[k])
	}
	t.cache.put(piece, val)
	return ids, lens
}

// Decode turns ids back into text like transformers' decode: the decoder
// chain of tokenizer.json, then clean_up_tokenization_spaces when the config
// enables it. skipSpecial drops added tokens marked special. Unknown ids are
// skipped.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	s := t.DecodeRaw(ids, skipSpecial)
	if t.cfg.CleanUpTokenizationSpaces {
		s = cleanUpTokenizationSpaces(s)
	}
	return s
}

// DecodeRaw is Decode without transformers' cleanup: what Hugging Face's
// tokenizers library returns.
func (t *Tokenizer) DecodeRaw(ids []int, skipSpecial bool) string {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) || t.tokens[id] == "" {
			continue
		}
		if skipSpecial && t.special[id] {
			continue
		}
		toks = append(toks, t.tokens[id])
	}
	if t.decoder == nil {
		return strings.Join(toks, " ")
	}
	return strings.Join(t.decoder.decodeChain(toks), "")
}

// VocabSize is the number of ids, added tokens included (max id + 1).
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// TokenID returns the id of a token string (vocabulary or added token).
func (t *Tokenizer) TokenID(tok string) (int, bool) {
	id, ok := t.tokenToID[tok]
	return id, ok
}

// TokenString returns the token string of id ("" when out of range).
func (t *Tokenizer) TokenString(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// IsSpecial reports whether id is an added token marked special.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.special) && t.special[id]
}

// Config returns the model folder's tokenizer configuration. The returned
// value is a copy: changing it does not affect the tokenizer.
func (t *Tokenizer) Config() Config {
	c := t.cfg
	c.SpecialTokens = make(map[string]any, len(t.cfg.SpecialTokens))
	for k, v := range t.cfg.SpecialTokens {
		if list, ok := v.([]string); ok {
			v = append([]string(nil), list...)
		}
		c.SpecialTokens[k] = v
	}
	c.AdditionalSpecialTokens = append([]string(nil), t.cfg.AdditionalSpecialTokens...)
	c.StopIDs = append([]int(nil), t.cfg.StopIDs...)
	return c
}
