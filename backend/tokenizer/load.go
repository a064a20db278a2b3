package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileJSON is the part of tokenizer.json that Whetstone reads.
type fileJSON struct {
	AddedTokens   []AddedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         struct {
		Type                    string          `json:"type"`
		Vocab                   json.RawMessage `json:"vocab"`
		Merges                  json.RawMessage `json:"merges"`
		UnkToken                *string         `json:"unk_token"`
		ByteFallback            bool            `json:"byte_fallback"`
		FuseUnk                 bool            `json:"fuse_unk"`
		IgnoreMerges            bool            `json:"ignore_merges"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	} `json:"model"`
}

// Load reads a tokenizer from a model folder: tokenizer.json (or, failing
// that, a SentencePiece tokenizer.model) plus the optional
// tokenizer_config.json, special_tokens_map.json, generation_config.json and
// chat_template.jinja.
func Load(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		spm := filepath.Join(dir, "tokenizer.model")
		if _, serr := os.Stat(spm); serr == nil {
			return loadSentencePiece(dir, spm)
		}
		return nil, fmt.Errorf("load tokenizer: %s not found (nor tokenizer.model)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	t, err := FromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := t.loadConfig(dir); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tokenizer) loadConfig(dir string) error {
	cfg, err := loadConfig(dir, t.TokenID)
	if err != nil {
		return err
	}
	t.cfg = cfg
	return nil
}

// FromJSON builds a tokenizer from the contents of a tokenizer.json, with an
// empty Config (Load also reads the folder's config files).
func FromJSON(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		if strings.Contains(err.Error(), "unexpected end of JSON input") {
			return nil, fmt.Errorf("truncated JSON: %w", err)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
		}
		return nil, fmt.Errorf("invalid tokenizer JSON: %w", err)
	}
	if f.Model.Type == "" && len(f.Model.Vocab) > 0 && len(f.Model.Merges) > 0 {
		f.Model.Type = "BPE" // old files omit the type
	}
	if f.Model.Type != "BPE" {
		if f.Model.Type == "" {
			return nil, fmt.Errorf("model has no type (is this a tokenizer.json?)")
		}
		return nil, fmt.Errorf("unsupported model type %q (only BPE is supported)", f.Model.Type)
	}
	if p := f.Model.ContinuingSubwordPrefix; p != nil && *p != "" {
		return nil, fmt.Errorf("BPE continuing_subword_prefix %q is not supported", *p)
	}
	if p := f.Model.EndOfWordSuffix; p != nil && *p != "" {
		return nil, fmt.Errorf("BPE end_of_word_suffix %q is not supported", *p)
	}
	// The two big tables are independent: decode them side by side.
	var merges [][2]string
	var mergesErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		merges, mergesErr = parseMerges(f.Model.Merges)
	}()
	vocab, err := parseVocab(f.Model.Vocab)
	<-done
	if err != nil {
		return nil, fmt.Errorf("model.vocab: want an object of token: id: %w", err)
	}
	if mergesErr != nil {
		return nil, mergesErr
	}
	spec := modelSpec{
		vocab:        vocab,
		merges:       merges,
		byteFallback: f.Model.ByteFallback,
		fuseUnk:      f.Model.FuseUnk,
		ignoreMerges: f.Model.IgnoreMerges,
		added:        f.AddedTokens,
	}
	if f.Model.UnkToken != nil {
		spec.unk = *f.Model.UnkToken
	}
	if spec.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if spec.pre, spec.byteLevel, spec.preKind, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if spec.decoder, err = parseDecoder(f.Decoder); err != nil {
		return nil, err
	}
	if _, ok := spec.decoder.(byteLevelDecoder); ok {
		spec.byteLevel = true
	}
	spec.postRaw = f.PostProcessor
	return build(spec)
}
