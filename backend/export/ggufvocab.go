package export

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// llama.cpp token types (enum llama_token_type).
const (
	tokenNormal      int32 = 1
	tokenUnknown     int32 = 2
	tokenControl     int32 = 3
	tokenUserDefined int32 = 4
	tokenUnused      int32 = 5
	tokenByte        int32 = 6
)

// tokenizerJSON is the part of a Hugging Face tokenizer.json the GGUF
// vocabulary needs.
type tokenizerJSON struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         struct {
		Type         string          `json:"type"`
		Vocab        map[string]int  `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
		ByteFallback bool            `json:"byte_fallback"`
		UnkToken     *string         `json:"unk_token"`
	} `json:"model"`
}

// ggufVocab is the tokenizer as GGUF stores it.
type ggufVocab struct {
	model  string // "llama" (SentencePiece-style) or "gpt2" (byte-level BPE)
	pre    string
	tokens []string
	scores []float32
	types  []int32
	merges []string
	// special ids, -1 when absent
	bos, eos, unk, pad int
	addBOS, addEOS     bool
	// addSpacePrefix: the normalizer prepends "▁" (Llama 2), Gemma's does not.
	addSpacePrefix bool
	chatTemplate   string
}

// readVocab builds the GGUF vocabulary from a model directory's
// tokenizer.json and tokenizer_config.json, padding it to rows entries (the
// embedding matrix's row count) with unused placeholder tokens.
func readVocab(dir string, cfg *model.Config, rows int) (*ggufVocab, error) {
	path := filepath.Join(dir, "tokenizer.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer: %w", err)
	}
	var tj tokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("%s: tokenizer model %q is not supported for GGUF (want BPE)", path, tj.Model.Type)
	}
	merges, err := parseMergeList(tj.Model.Merges)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n := 0
	for _, id := range tj.Model.Vocab {
		n = max(n, id+1)
	}
	for _, a := range tj.AddedTokens {
		n = max(n, a.ID+1)
	}
	if n > rows {
		return nil, fmt.Errorf("%s has %d tokens but the embedding matrix only %d rows", path, n, rows)
	}
	v := &ggufVocab{tokens: make([]string, rows), types: make([]int32, rows), bos: -1, eos: -1, unk: -1, pad: -1}
	filled := make([]bool, rows)
	for tok, id := range tj.Model.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("%s: token %q has negative id %d", path, tok, id)
		}
		v.tokens[id], v.types[id], filled[id] = tok, tokenNormal, true
	}
	for _, a := range tj.AddedTokens {
		v.tokens[a.ID], filled[a.ID] = a.Content, true
		if a.Special {
			v.types[a.ID] = tokenControl
		} else {
			v.types[a.ID] = tokenUserDefined
		}
	}
	for id := range v.tokens {
		if !filled[id] {
			v.tokens[id], v.types[id] = fmt.Sprintf("[PAD%d]", id), tokenUnused
		}
	}

	spm := tj.Model.ByteFallback || strings.Contains(string(tj.Normalizer), "\u2581") || strings.Contains(string(tj.Normalizer), `\u2581`)
	if spm {
		// SentencePiece-style BPE (Gemma, Llama 2): llama.cpp's SPM
		// tokenizer merges the adjacent pair with the highest score, so the
		// score of a token is minus the rank of the merge producing it.
		v.model = "llama"
		v.addSpacePrefix = strings.Contains(string(tj.Normalizer), `"Prepend"`)
		v.scores = make([]float32, rows)
		ranked := make([]bool, rows)
		for rank, m := range merges {
			id, ok := tj.Model.Vocab[m[0]+m[1]]
			if ok && !ranked[id] {
				v.scores[id], ranked[id] = -float32(rank), true
			}
		}
		for id := range v.scores {
			if !ranked[id] {
				v.scores[id] = -float32(len(merges) + id)
			}
		}
		for id, tok := range v.tokens {
			if v.types[id] == tokenNormal && len(tok) == 6 && strings.HasPrefix(tok, "<0x") && strings.HasSuffix(tok, ">") {
				v.types[id] = tokenByte
			}
		}
		if tj.Model.UnkToken != nil {
			if id, ok := tj.Model.Vocab[*tj.Model.UnkToken]; ok {
				v.unk = id
				v.types[id] = tokenUnknown
			}
		}
	} else {
		v.model = "gpt2"
		switch cfg.Arch {
		case model.Llama:
			v.pre = "llama-bpe"
		case model.Qwen2, model.Qwen3:
			v.pre = "qwen2"
		default:
			v.pre = "default"
		}
		v.merges = make([]string, len(merges))
		for i, m := range merges {
			v.merges[i] = m[0] + " " + m[1]
		}
	}
	v.addBOS = postProcessorAddsBOS(tj.PostProcessor)
	if err := v.readSpecials(dir, cfg); err != nil {
		return nil, err
	}
	return v, nil
}

// postProcessorAddsBOS reports whether tokenizer.json's post-processor
// puts a special token before the text (how Llama 3 adds BOS, with no
// add_bos_token in tokenizer_config.json).
func postProcessorAddsBOS(raw json.RawMessage) bool {
	var pp struct {
		Type       string            `json:"type"`
		Single     []json.RawMessage `json:"single"`
		Processors []json.RawMessage `json:"processors"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &pp) != nil {
		return false
	}
	switch pp.Type {
	case "TemplateProcessing":
		return len(pp.Single) > 0 && strings.Contains(string(pp.Single[0]), `"SpecialToken"`)
	case "Sequence":
		for _, p := range pp.Processors {
			if postProcessorAddsBOS(p) {
				return true
			}
		}
	}
	return false
}

// parseMergeList accepts both merge encodings of tokenizer.json: "a b"
// strings and [a, b] pairs.
func parseMergeList(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err != nil {
		return nil, fmt.Errorf("merges: want strings or pairs: %w", err)
	}
	pairs = make([][2]string, len(strs))
	for i, s := range strs {
		a, b, ok := strings.Cut(s, " ")
		if !ok {
			return nil, fmt.Errorf("merge %d %q has no space", i, s)
		}
		pairs[i] = [2]string{a, b}
	}
	return pairs, nil
}

// readSpecials takes special tokens, add_bos/add_eos and the chat template
// from tokenizer_config.json (or chat_template.jinja), falling back to
// config.json's ids.
func (v *ggufVocab) readSpecials(dir string, cfg *model.Config) error {
	idOf := func(s string) int {
		for i, t := range v.tokens {
			if t == s {
				return i
			}
		}
		return -1
	}
	v.bos = cfg.BOSTokenID
	if len(cfg.EOSTokenIDs) > 0 {
		v.eos = cfg.EOSTokenIDs[0]
	}
	if cfg.PadTokenID >= 0 {
		v.pad = cfg.PadTokenID
	}
	path := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(path)
	if err == nil {
		var tc map[string]json.RawMessage
		if err := json.Unmarshal(data, &tc); err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		for key, dst := range map[string]*int{"bos_token": &v.bos, "eos_token": &v.eos, "unk_token": &v.unk, "pad_token": &v.pad} {
			if s, ok := specialTokenText(tc[key]); ok {
				if id := idOf(s); id >= 0 {
					*dst = id
				}
			}
		}
		if b, ok := tc["add_bos_token"]; ok {
			json.Unmarshal(b, &v.addBOS)
		}
		if b, ok := tc["add_eos_token"]; ok {
			json.Unmarshal(b, &v.addEOS)
		}
		v.chatTemplate = chatTemplateText(tc["chat_template"])
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if v.chatTemplate == "" {
		if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
			v.chatTemplate = string(b)
		}
	}
	if v.bos < 0 {
		v.addBOS = false
	}
	return nil
}

// specialTokenText reads a special token given as a string or as an
// AddedToken object {"content": ...}.
func specialTokenText(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, s != ""
	}
	var obj struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != "" {
		return obj.Content, true
	}
	return "", false
}

// chatTemplateText reads chat_template as a string, or the "default" entry
// of a list of named templates.
func chatTemplateText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if json.Unmarshal(raw, &named) == nil {
		for _, t := range named {
			if t.Name == "default" {
				return t.Template
			}
		}
		if len(named) > 0 {
			return named[0].Template
		}
	}
	return ""
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
