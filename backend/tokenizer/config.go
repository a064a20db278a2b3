package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Config is what a model folder says about its tokenizer beyond the
// vocabulary: the chat template and the named special tokens. Token ids are
// -1 when the token is not set.
type Config struct {
	// ChatTemplate is the Jinja source: chat_template.jinja when present,
	// else tokenizer_config.json's chat_template ("default" when it is a list).
	ChatTemplate string

	BOSToken, EOSToken, PadToken, UnkToken string
	BOSID, EOSID, PadID, UnkID             int
	AdditionalSpecialTokens                []string

	// SpecialTokens is transformers' special_tokens_map as passed to chat
	// templates: the non-empty bos/eos/unk/sep/pad/cls/mask tokens,
	// additional_special_tokens and extra_special_tokens.
	SpecialTokens map[string]any

	// StopIDs are the ids that end generation: generation_config.json's
	// eos_token_id (one or many), else the eos token.
	StopIDs []int

	// AddBOS/AddEOS are tokenizer_config.json's add_bos_token/add_eos_token
	// (nil when absent; the post-processor is what Encode follows).
	AddBOS, AddEOS *bool
	// CleanUpTokenizationSpaces makes Decode apply transformers' cleanup.
	CleanUpTokenizationSpaces bool
	ModelMaxLength            int64
}

// tokenValue reads a token field that is either a string or an AddedToken
// object {"content": ...}.
func tokenValue(raw json.RawMessage) (string, bool) {
	if isNull(raw) {
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

// readJSONMap reads an optional JSON object file; a missing file gives nil.
func readJSONMap(path string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return m, nil
}

// loadConfig reads tokenizer_config.json, special_tokens_map.json,
// generation_config.json and chat_template.jinja from dir (all optional).
func loadConfig(dir string, tokenID func(string) (int, bool)) (Config, error) {
	c := Config{BOSID: -1, EOSID: -1, PadID: -1, UnkID: -1, SpecialTokens: map[string]any{}}
	tc, err := readJSONMap(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil {
		return c, err
	}
	stm, err := readJSONMap(filepath.Join(dir, "special_tokens_map.json"))
	if err != nil {
		return c, err
	}
	// tokenizer_config.json wins; special_tokens_map.json fills gaps.
	field := func(name string) (json.RawMessage, bool) {
		if v, ok := tc[name]; ok {
			return v, true
		}
		v, ok := stm[name]
		return v, ok
	}
	tplPath := filepath.Join(dir, "tokenizer_config.json")
	if raw, ok := tc["chat_template"]; ok && !isNull(raw) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			c.ChatTemplate = s
		} else {
			var named []struct{ Name, Template string }
			if err := json.Unmarshal(raw, &named); err != nil {
				return c, fmt.Errorf("parse %s: chat_template is neither a string nor a list of {name, template}", tplPath)
			}
			for _, t := range named {
				if t.Name == "default" || c.ChatTemplate == "" {
					c.ChatTemplate = t.Template
				}
			}
		}
	}
	jinjaPath := filepath.Join(dir, "chat_template.jinja")
	if b, err := os.ReadFile(jinjaPath); err == nil {
		c.ChatTemplate = string(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return c, fmt.Errorf("read %s: %w", jinjaPath, err)
	}

	named := []struct {
		key      string
		str      *string
		id       *int
		template bool
	}{
		{"bos_token", &c.BOSToken, &c.BOSID, true},
		{"eos_token", &c.EOSToken, &c.EOSID, true},
		{"unk_token", &c.UnkToken, &c.UnkID, true},
		{"sep_token", nil, nil, true},
		{"pad_token", &c.PadToken, &c.PadID, true},
		{"cls_token", nil, nil, true},
		{"mask_token", nil, nil, true},
	}
	for _, n := range named {
		raw, ok := field(n.key)
		if !ok {
			continue
		}
		s, ok := tokenValue(raw)
		if !ok {
			continue
		}
		c.SpecialTokens[n.key] = s
		if n.str != nil {
			*n.str = s
			if id, ok := tokenID(s); ok {
				*n.id = id
			}
		}
	}
	if raw, ok := field("additional_special_tokens"); ok && !isNull(raw) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return c, fmt.Errorf("parse %s: additional_special_tokens: %w", tplPath, err)
		}
		for _, r := range list {
			if s, ok := tokenValue(r); ok {
				c.AdditionalSpecialTokens = append(c.AdditionalSpecialTokens, s)
			}
		}
		if len(c.AdditionalSpecialTokens) > 0 {
			c.SpecialTokens["additional_special_tokens"] = append([]string(nil), c.AdditionalSpecialTokens...)
		}
	}
	if raw, ok := field("extra_special_tokens"); ok && !isNull(raw) {
		var extra map[string]json.RawMessage
		if json.Unmarshal(raw, &extra) == nil {
			keys := make([]string, 0, len(extra))
			for k := range extra {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := tokenValue(extra[k]); ok {
					c.SpecialTokens[k] = s
				}
			}
		}
	}
	boolField := func(name string) *bool {
		var b bool
		if raw, ok := tc[name]; ok && json.Unmarshal(raw, &b) == nil {
			return &b
		}
		return nil
	}
	c.AddBOS = boolField("add_bos_token")
	c.AddEOS = boolField("add_eos_token")
	if b := boolField("clean_up_tokenization_spaces"); b != nil {
		c.CleanUpTokenizationSpaces = *b
	}
	if raw, ok := tc["model_max_length"]; ok {
		var f float64
		if json.Unmarshal(raw, &f) == nil && f < 1e15 {
			c.ModelMaxLength = int64(f)
		}
	}

	gen, err := readJSONMap(filepath.Join(dir, "generation_config.json"))
	if err != nil {
		return c, err
	}
	if raw, ok := gen["eos_token_id"]; ok && !isNull(raw) {
		var one int
		var many []int
		if json.Unmarshal(raw, &one) == nil {
			c.StopIDs = []int{one}
		} else if json.Unmarshal(raw, &many) == nil {
			c.StopIDs = many
		} else {
			return c, fmt.Errorf("parse %s: eos_token_id must be an id or a list of ids", filepath.Join(dir, "generation_config.json"))
		}
	}
	if len(c.StopIDs) == 0 && c.EOSID >= 0 {
		c.StopIDs = []int{c.EOSID}
	}
	return c, nil
}
