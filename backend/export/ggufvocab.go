package export

import (
	"fmt"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// ggufVocab is the tokenizer as GGUF stores it.
type ggufVocab struct {
	model  string // "llama" (SentencePiece-style) or "gpt2" (byte-level BPE)
	pre    string
	tokens []string
	scores []float32
	types  []int32 // llama.cpp token types, tokenizer.TokenKind values
	merges []string
	// special ids, -1 when absent
	bos, eos, unk, pad int
	addBOS, addEOS     bool
	// addSpacePrefix: the normalizer prepends "▁" (Llama 2), Gemma's does not.
	addSpacePrefix bool
	chatTemplate   string
}

// readVocab builds the GGUF vocabulary from a model directory's tokenizer
// (read by the tokenizer package, so export and training agree on every id),
// padding it to rows entries (the embedding matrix's row count) with unused
// placeholder tokens, or leaving out added tokens past it.
func readVocab(dir string, cfg *model.Config, rows int) (*ggufVocab, error) {
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("GGUF vocabulary: %w", err)
	}
	tv := tok.Vocab()
	if err := fitVocab(&tv, rows, dir); err != nil {
		return nil, err
	}
	v := &ggufVocab{tokens: make([]string, rows), types: make([]int32, rows), bos: -1, eos: -1, unk: -1, pad: -1}
	for id := range v.tokens {
		if id < len(tv.Tokens) {
			v.tokens[id], v.types[id] = tv.Tokens[id], int32(tv.Kinds[id])
		} else {
			v.tokens[id], v.types[id] = fmt.Sprintf("[PAD%d]", id), int32(tokenizer.KindUnused)
		}
	}
	switch tv.Model {
	case tokenizer.ModelSPMBPE:
		// SentencePiece-style BPE (Gemma, Llama 2): llama.cpp's SPM
		// tokenizer merges the adjacent pair with the highest score.
		v.model = "llama"
		v.addSpacePrefix = tv.AddSpacePrefix
		v.scores = spmScores(tok, tv, rows)
		for id, kind := range tv.Kinds {
			if kind == tokenizer.KindUnknown {
				v.unk = id
			}
		}
	case tokenizer.ModelBPEByteLevel:
		v.model = "gpt2"
		switch cfg.Arch {
		case model.Llama:
			v.pre = "llama-bpe"
		case model.Qwen2, model.Qwen3:
			v.pre = "qwen2"
		default:
			v.pre = "default"
		}
		v.merges = tv.Merges
	default:
		return nil, fmt.Errorf("GGUF vocabulary: tokenizer model %q in %s is not supported", tv.Model, dir)
	}
	v.addBOS = tv.PrefixSpecial
	v.setSpecials(tok.Config(), cfg)
	return v, nil
}

// fitVocab cuts a vocabulary longer than the embedding has rows. Real
// Gemma 3 checkpoints have 262,144 embedding rows and a tokenizer of
// 262,145 tokens: <image_soft_token> (id 262144) is an added token the text
// model never embeds. llama.cpp's converter keeps the embedding's row count
// and leaves such added tokens out, and so does this; a token of the base
// vocabulary past the last row means the tokenizer belongs to another model.
func fitVocab(tv *tokenizer.Vocab, rows int, dir string) error {
	if len(tv.Tokens) <= rows {
		return nil
	}
	for id := rows; id < len(tv.Tokens); id++ {
		switch tv.Kinds[id] {
		case tokenizer.KindControl, tokenizer.KindUserDefined, tokenizer.KindUnused:
		default:
			return fmt.Errorf("the tokenizer in %s has %d tokens but the embedding matrix only %d rows, and token %d (%q) is part of its base vocabulary, not an added token: is the tokenizer from another model?",
				dir, len(tv.Tokens), rows, id, tv.Tokens[id])
		}
	}
	tv.Tokens, tv.Kinds = tv.Tokens[:rows], tv.Kinds[:rows]
	if len(tv.Scores) > rows {
		tv.Scores = tv.Scores[:rows]
	}
	return nil
}

// spmScores gives llama.cpp's SPM tokenizer the scores it merges by. A
// tokenizer.model carries them; for tokenizer.json BPE the score of a token
// is minus the rank of the merge producing it, and tokens no merge produces
// rank after every merge, in id order.
func spmScores(tok *tokenizer.Tokenizer, tv tokenizer.Vocab, rows int) []float32 {
	scores := make([]float32, rows)
	if tv.Scores != nil {
		copy(scores, tv.Scores)
		for id := len(tv.Scores); id < rows; id++ {
			scores[id] = -float32(len(tv.Scores) + id)
		}
		return scores
	}
	ranked := make([]bool, rows)
	for rank, m := range tv.Merges {
		left, right, _ := strings.Cut(m, " ")
		if id, ok := tok.TokenID(left + right); ok && id < rows && !ranked[id] {
			scores[id], ranked[id] = -float32(rank), true
		}
	}
	for id := range scores {
		if !ranked[id] {
			scores[id] = -float32(len(tv.Merges) + id)
		}
	}
	return scores
}

// setSpecials takes the special tokens, add_bos/add_eos and the chat
// template from the tokenizer's configuration, falling back to config.json's
// ids where the tokenizer names none.
func (v *ggufVocab) setSpecials(tc tokenizer.Config, cfg *model.Config) {
	v.bos = cfg.BOSTokenID
	if len(cfg.EOSTokenIDs) > 0 {
		v.eos = cfg.EOSTokenIDs[0]
	}
	if cfg.PadTokenID >= 0 {
		v.pad = cfg.PadTokenID
	}
	for _, sp := range []struct {
		id  int
		dst *int
	}{{tc.BOSID, &v.bos}, {tc.EOSID, &v.eos}, {tc.UnkID, &v.unk}, {tc.PadID, &v.pad}} {
		if sp.id >= 0 {
			*sp.dst = sp.id
		}
	}
	// A special token left out with the ids past the embedding (fitVocab)
	// cannot be named in the GGUF.
	for _, id := range []*int{&v.bos, &v.eos, &v.unk, &v.pad} {
		if *id >= len(v.tokens) {
			*id = -1
		}
	}
	if tc.AddBOS != nil {
		v.addBOS = *tc.AddBOS
	}
	if tc.AddEOS != nil {
		v.addEOS = *tc.AddEOS
	}
	v.chatTemplate = tc.ChatTemplate
	if v.bos < 0 {
		v.addBOS = false
	}
}

// setMetadata writes the tokenizer.ggml.* keys.
func (v *ggufVocab) setMetadata(w *gguf.Writer) error {
	kvs := []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: v.model},
	}
	if v.pre != "" {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.pre", Value: v.pre})
	}
	kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.tokens", Value: v.tokens})
	if v.scores != nil {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.scores", Value: v.scores})
	}
	kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.token_type", Value: v.types})
	if v.merges != nil {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.merges", Value: v.merges})
	}
	for _, sp := range []struct {
		key string
		id  int
	}{{"bos", v.bos}, {"eos", v.eos}, {"unknown", v.unk}, {"padding", v.pad}} {
		if sp.id >= 0 {
			kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml." + sp.key + "_token_id", Value: uint32(sp.id)})
		}
	}
	kvs = append(kvs,
		gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: v.addBOS},
		gguf.KV{Key: "tokenizer.ggml.add_eos_token", Value: v.addEOS},
	)
	if v.model == "llama" {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.add_space_prefix", Value: v.addSpacePrefix})
	}
	if v.chatTemplate != "" {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.chat_template", Value: v.chatTemplate})
	}
	for _, kv := range kvs {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}
