package tokenizer

import "strings"

// TokenKind classifies a vocabulary entry the way GGUF does (same numbers as
// llama.cpp's token types).
type TokenKind int

// The kinds, numbered as llama.cpp's enum llama_token_type so exporters can
// write them to GGUF unchanged.
const (
	KindNormal      TokenKind = 1
	KindUnknown     TokenKind = 2
	KindControl     TokenKind = 3
	KindUserDefined TokenKind = 4
	KindUnused      TokenKind = 5
	KindByte        TokenKind = 6
)

// Model kinds reported by Vocab.Model.
const (
	ModelBPEByteLevel = "bpe-bytelevel"
	ModelSPMBPE       = "spm-bpe"
)

// Vocab is a read-only view of the vocabulary for exporters (GGUF).
type Vocab struct {
	// Model is ModelBPEByteLevel or ModelSPMBPE.
	Model string
	// Tokens holds the token string of every id; holes are named [PAD<id>].
	Tokens []string
	// Merges lists the BPE merges in rank order, as "left right".
	Merges []string
	Kinds  []TokenKind
	// Scores are SentencePiece scores when the source had them (a
	// tokenizer.model), else nil: tokenizer.json BPE has none, and exporters
	// that need them conventionally use -id, which preserves merge priority.
	Scores []float32
	// PreTokenizer is "llama3", "qwen2" or "default".
	PreTokenizer string
	// AddSpacePrefix: the normalizer prepends "▁" to the text (Llama 2;
	// Gemma's does not). GGUF records it as add_space_prefix.
	AddSpacePrefix bool
	// PrefixSpecial: encoding with special tokens puts tokens before the
	// text (how Llama 3's post-processor adds BOS with no add_bos_token in
	// tokenizer_config.json).
	PrefixSpecial bool
}

// Vocab returns the vocabulary for export. It builds fresh slices each call.
func (t *Tokenizer) Vocab() Vocab {
	v := Vocab{
		Model:          ModelSPMBPE,
		Tokens:         make([]string, len(t.tokens)),
		Merges:         make([]string, len(t.merges)),
		Kinds:          make([]TokenKind, len(t.tokens)),
		PreTokenizer:   t.preKind,
		AddSpacePrefix: prependsSpace(t.normalizer),
		PrefixSpecial:  len(t.post.prefix) > 0,
	}
	if t.byteLevel {
		v.Model = ModelBPEByteLevel
	}
	for id, tok := range t.tokens {
		v.Tokens[id] = tok
		v.Kinds[id] = KindNormal
		if tok == "" {
			v.Tokens[id] = "[PAD" + itoa(id) + "]"
			v.Kinds[id] = KindUnused
			continue
		}
		if !t.byteLevel && t.model.byteFallback {
			if _, ok := parseByteToken(tok); ok {
				v.Kinds[id] = KindByte
			}
		}
	}
	for _, a := range t.added {
		if a.Special {
			v.Kinds[a.ID] = KindControl
		} else {
			v.Kinds[a.ID] = KindUserDefined
		}
	}
	if t.model.unk >= 0 {
		v.Kinds[t.model.unk] = KindUnknown
	}
	for i, m := range t.merges {
		v.Merges[i] = strings.Join(m[:], " ")
	}
	if t.scores != nil {
		v.Scores = append([]float32(nil), t.scores...)
	}
	return v
}

// prependsSpace reports whether n, or a step of it, is a Prepend normalizer.
func prependsSpace(n normalizer) bool {
	switch n := n.(type) {
	case prependNormalizer:
		return true
	case sequenceNormalizer:
		for _, step := range n {
			if prependsSpace(step) {
				return true
			}
		}
	}
	return false
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
