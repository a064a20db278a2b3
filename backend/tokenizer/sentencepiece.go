package tokenizer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
)

// A SentencePiece tokenizer.model alone (no tokenizer.json) is converted the
// way transformers' slow-to-fast converters do it: the pieces become the
// vocabulary, merges are derived from it (every split of a piece into two
// pieces, ordered by the merged piece's score), control pieces become
// special added tokens, and the normalizer/decoder follow the model's
// normalizer spec (dummy "▁" prefix, spaces as "▁", byte fallback).

// SentencePiece piece types (sentencepiece_model.proto).
const (
	spNormal      = 1
	spUnknown     = 2
	spControl     = 3
	spUserDefined = 4
	spUnused      = 5
	spByte        = 6
)

type spPiece struct {
	piece string
	score float32
	kind  int
}

type spModel struct {
	pieces         []spPiece
	modelType      int // 1 unigram, 2 bpe, 3 word, 4 char
	byteFallback   bool
	addDummyPrefix bool
	unkID, bosID   int
	eosID, padID   int
}

func loadSentencePiece(dir, path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	m, err := parseSentencePiece(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	t, err := m.build()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := t.loadConfig(dir); err != nil {
		return nil, err
	}
	// Without a tokenizer.json, add_bos_token (default true, as in
	// transformers' slow tokenizers) decides the BOS.
	if m.bosID >= 0 && (t.cfg.AddBOS == nil || *t.cfg.AddBOS) {
		t.post.prefix = []int32{int32(m.bosID)}
	}
	if m.eosID >= 0 && t.cfg.AddEOS != nil && *t.cfg.AddEOS {
		t.post.suffix = []int32{int32(m.eosID)}
	}
	return t, nil
}

func (m *spModel) build() (*Tokenizer, error) {
	switch m.modelType {
	case 2:
	case 1:
		return nil, errors.New("SentencePiece unigram models are not supported (only BPE, as used by Llama 2 and Gemma)")
	default:
		return nil, fmt.Errorf("unsupported SentencePiece model type %d (only BPE)", m.modelType)
	}
	if len(m.pieces) == 0 {
		return nil, errors.New("SentencePiece model has no pieces")
	}
	spec := modelSpec{
		vocab:        make(map[string]int32, len(m.pieces)),
		scores:       make([]float32, len(m.pieces)),
		byteFallback: m.byteFallback,
		fuseUnk:      true,
		preKind:      "default",
	}
	for i, p := range m.pieces {
		if _, dup := spec.vocab[p.piece]; !dup {
			spec.vocab[p.piece] = int32(i)
		}
		spec.scores[i] = p.score
		switch p.kind {
		case spUnknown:
			spec.unk = p.piece
			spec.added = append(spec.added, AddedToken{ID: i, Content: p.piece, Special: true})
		case spControl:
			spec.added = append(spec.added, AddedToken{ID: i, Content: p.piece, Special: true})
		case spUserDefined:
			spec.added = append(spec.added, AddedToken{ID: i, Content: p.piece})
		}
	}
	spec.merges = spMerges(m.pieces, spec.vocab)
	replace := replaceNormalizer{from: " ", to: "▁"}
	if m.addDummyPrefix {
		spec.normalizer = sequenceNormalizer{prependNormalizer{prefix: "▁"}, replace}
		spec.decoder = sequenceDecoder{replaceDecoder{"▁", " "}, byteFallbackDecoder{}, fuseDecoder{}, stripDecoder{content: " ", start: 1}}
	} else {
		spec.normalizer = replace
		spec.decoder = sequenceDecoder{replaceDecoder{"▁", " "}, byteFallbackDecoder{}, fuseDecoder{}}
	}
	spec.post = &postProcessor{}
	return build(spec)
}

// spMerges derives BPE merges from the pieces: every way to cut a normal
// piece into two known pieces, ordered by the merged piece's score (highest
// first), ties by the ids of the parts, as transformers' extractor does.
func spMerges(pieces []spPiece, vocab map[string]int32) [][2]string {
	type cand struct {
		l, r   string
		score  float32
		li, ri int32
	}
	var all []cand
	for _, p := range pieces {
		s := p.piece
		var local []cand
		for i := 1; i < len(s); i++ {
			if s[i]&0xC0 == 0x80 {
				continue // not a character boundary
			}
			li, okL := vocab[s[:i]]
			ri, okR := vocab[s[i:]]
			if okL && okR {
				local = append(local, cand{s[:i], s[i:], p.score, li, ri})
			}
		}
		sort.Slice(local, func(a, b int) bool {
			if local[a].li != local[b].li {
				return local[a].li < local[b].li
			}
			return local[a].ri < local[b].ri
		})
		all = append(all, local...)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].score > all[b].score })
	out := make([][2]string, len(all))
	for i, c := range all {
		out[i] = [2]string{c.l, c.r}
	}
	return out
}

// parseSentencePiece decodes the parts of sentencepiece_model.proto that
// the conversion needs, with a minimal protobuf reader.
func parseSentencePiece(data []byte) (*spModel, error) {
	m := &spModel{addDummyPrefix: true, unkID: 0, bosID: 1, eosID: 2, padID: -1}
	err := protoFields(data, func(field int, wire int, v uint64, b []byte) error {
		switch field {
		case 1: // SentencePiece
			p := spPiece{kind: spNormal}
			if err := protoFields(b, func(f, w int, v uint64, b []byte) error {
				switch f {
				case 1:
					p.piece = string(b)
				case 2:
					p.score = math.Float32frombits(uint32(v))
				case 3:
					p.kind = int(v)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("piece %d: %w", len(m.pieces), err)
			}
			m.pieces = append(m.pieces, p)
		case 2: // TrainerSpec
			return protoFields(b, func(f, w int, v uint64, b []byte) error {
				switch f {
				case 3:
					m.modelType = int(v)
				case 35:
					m.byteFallback = v != 0
				case 40:
					m.unkID = int(int32(v))
				case 41:
					m.bosID = int(int32(v))
				case 42:
					m.eosID = int(int32(v))
				case 43:
					m.padID = int(int32(v))
				}
				return nil
			})
		case 3: // NormalizerSpec
			return protoFields(b, func(f, w int, v uint64, b []byte) error {
				if f == 3 {
					m.addDummyPrefix = v != 0
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not a SentencePiece model: %w", err)
	}
	if m.modelType == 0 {
		m.modelType = 1 // proto default: unigram
	}
	return m, nil
}

// protoFields walks the fields of one protobuf message. Varints and fixed32
// values arrive in v, length-delimited ones in b.
func protoFields(data []byte, fn func(field, wire int, v uint64, b []byte) error) error {
	for len(data) > 0 {
		key, n := binary.Uvarint(data)
		if n <= 0 {
			return errors.New("bad field key")
		}
		data = data[n:]
		field, wire := int(key>>3), int(key&7)
		var v uint64
		var b []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(data)
			if n <= 0 {
				return fmt.Errorf("field %d: bad varint", field)
			}
			data = data[n:]
		case 1:
			if len(data) < 8 {
				return fmt.Errorf("field %d: truncated", field)
			}
			v = binary.LittleEndian.Uint64(data)
			data = data[8:]
		case 2:
			l, n := binary.Uvarint(data)
			if n <= 0 || uint64(len(data)-n) < l {
				return fmt.Errorf("field %d: truncated", field)
			}
			b = data[n : n+int(l)]
			data = data[n+int(l):]
		case 5:
			if len(data) < 4 {
				return fmt.Errorf("field %d: truncated", field)
			}
			v = uint64(binary.LittleEndian.Uint32(data))
			data = data[4:]
		default:
			return fmt.Errorf("field %d: unsupported wire type %d", field, wire)
		}
		if err := fn(field, wire, v, b); err != nil {
			return err
		}
	}
	return nil
}
