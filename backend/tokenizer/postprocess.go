package tokenizer

import (
	"encoding/json"
	"fmt"
)

// postProcessor adds the special tokens around an encoded sequence when the
// caller asks for them (add_special_tokens=True).
type postProcessor struct {
	prefix, suffix []int32
}

func parsePostProcessor(raw json.RawMessage, tokenID func(string) (int, bool)) (postProcessor, error) {
	var pp postProcessor
	if isNull(raw) {
		return pp, nil
	}
	var p struct {
		Type       string            `json:"type"`
		Processors []json.RawMessage `json:"processors"`
		Single     []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int32 `json:"ids"`
		} `json:"special_tokens"`
		Cls []any `json:"cls"`
		Sep []any `json:"sep"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return pp, fmt.Errorf("post_processor: %w", err)
	}
	switch p.Type {
	case "ByteLevel":
		return pp, nil // only adjusts offsets
	case "Sequence":
		for _, r := range p.Processors {
			sub, err := parsePostProcessor(r, tokenID)
			if err != nil {
				return pp, err
			}
			pp.prefix = append(pp.prefix, sub.prefix...)
			pp.suffix = append(pp.suffix, sub.suffix...)
		}
		return pp, nil
	case "TemplateProcessing":
		seen := false
		for _, item := range p.Single {
			switch {
			case item.Sequence != nil:
				seen = true
			case item.SpecialToken != nil:
				st, ok := p.SpecialTokens[item.SpecialToken.ID]
				if !ok {
					return pp, fmt.Errorf("post_processor: special token %q has no ids", item.SpecialToken.ID)
				}
				if seen {
					pp.suffix = append(pp.suffix, st.IDs...)
				} else {
					pp.prefix = append(pp.prefix, st.IDs...)
				}
			}
		}
		return pp, nil
	case "BertProcessing", "RobertaProcessing":
		if len(p.Cls) != 2 || len(p.Sep) != 2 {
			return pp, fmt.Errorf("post_processor %s: cls and sep must be [token, id]", p.Type)
		}
		cls, ok1 := p.Cls[1].(float64)
		sep, ok2 := p.Sep[1].(float64)
		if !ok1 || !ok2 {
			return pp, fmt.Errorf("post_processor %s: bad cls/sep ids", p.Type)
		}
		pp.prefix = []int32{int32(cls)}
		pp.suffix = []int32{int32(sep)}
		return pp, nil
	}
	return pp, fmt.Errorf("unsupported post_processor type %q", p.Type)
}
