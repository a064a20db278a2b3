package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
)

// preTokenizer splits a normalized segment into pieces that BPE encodes
// independently. emit receives the piece's text and its byte span in s; the
// text differs from s[start:end] only for pre-tokenizers that rewrite
// (Metaspace, ByteLevel's prefix space). first tells whether the segment
// starts the whole input (Metaspace's "first" prepend scheme).
type preTokenizer interface {
	split(s string, first bool, emit func(piece string, start, end int))
}

// byteLevelPre is the ByteLevel pre-tokenizer: it optionally splits with the
// GPT-2 pattern; the byte-to-rune spelling itself is done by the model.
type byteLevelPre struct {
	useRegex, addPrefixSpace bool
}

func (b byteLevelPre) split(s string, first bool, emit func(string, int, int)) {
	shift := 0
	if b.addPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
		shift = 1
	}
	out := func(a, z int) { emit(s[a:z], max(a-shift, 0), max(z-shift, 0)) }
	if !b.useRegex {
		out(0, len(s))
		return
	}
	splitGPT2(s, out)
}

// regexSplit is a Split pre-tokenizer with one of the known byte-level
// patterns, scanned by hand (see scan.go), with the Isolated behaviour.
type regexSplit struct {
	kind      string // "llama3" or "qwen2"
	maxDigits int
}

func (r regexSplit) split(s string, first bool, emit func(string, int, int)) {
	splitLlama3(s, r.maxDigits, func(a, z int) { emit(s[a:z], a, z) })
}

// stringSplit is a Split pre-tokenizer on a literal delimiter.
type stringSplit struct {
	delim    string
	behavior string
}

func (p stringSplit) split(s string, first bool, emit func(string, int, int)) {
	p.spans(s, func(a, z int) { emit(s[a:z], a, z) })
}

func (p stringSplit) spans(s string, out func(a, z int)) {
	if p.delim == "" || !strings.Contains(s, p.delim) {
		if s != "" {
			out(0, len(s))
		}
		return
	}
	start := 0
	put := func(a, z int) {
		if z > a {
			out(a, z)
		}
	}
	for i := 0; i < len(s); {
		if !strings.HasPrefix(s[i:], p.delim) {
			i++
			continue
		}
		end := i + len(p.delim)
		switch p.behavior {
		case "Removed":
			put(start, i)
			start = end
		case "MergedWithPrevious":
			put(start, end)
			start = end
		case "MergedWithNext":
			put(start, i)
			start = i
		default: // Isolated
			put(start, i)
			put(i, end)
			start = end
		}
		i = end
	}
	put(start, len(s))
}

// metaspacePre replaces spaces with the meta symbol, prepends it per scheme
// and splits before each meta symbol (Llama 2 style tokenizers).
type metaspacePre struct {
	replacement string
	scheme      string // always, first, never
	splitWords  bool
}

func (m metaspacePre) split(s string, first bool, emit func(string, int, int)) {
	var sb strings.Builder
	align := make([]int, 0, len(s)+4)
	if (m.scheme == "always" || (m.scheme == "first" && first)) && !strings.HasPrefix(s, " ") && s != "" {
		sb.WriteString(m.replacement)
		for range len(m.replacement) {
			align = append(align, 0)
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			sb.WriteString(m.replacement)
			for range len(m.replacement) {
				align = append(align, i)
			}
			continue
		}
		sb.WriteByte(s[i])
		align = append(align, i)
	}
	align = append(align, len(s))
	t := sb.String()
	out := func(a, z int) { emit(t[a:z], align[a], align[z]) }
	if !m.splitWords {
		if t != "" {
			out(0, len(t))
		}
		return
	}
	stringSplit{delim: m.replacement, behavior: "MergedWithNext"}.spans(t, out)
}

// sequencePre applies pre-tokenizers in turn, each on the previous pieces.
type sequencePre []preTokenizer

func (q sequencePre) split(s string, first bool, emit func(string, int, int)) {
	q.apply(0, s, 0, first, emit)
}

func (q sequencePre) apply(k int, s string, base int, first bool, emit func(string, int, int)) {
	if k == len(q) {
		emit(s, base, base+len(s))
		return
	}
	q[k].split(s, first, func(piece string, a, z int) {
		q.apply(k+1, piece, base+a, first && a == 0, func(p2 string, a2, z2 int) {
			// Spans inside a rewritten piece are clamped to the piece's span.
			emit(p2, min(a2, base+z), min(z2, base+z))
		})
	})
}

// Known pre-tokenization regexes, recognized by their exact source.
const (
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// parsePreTokenizer builds a pre-tokenizer from tokenizer.json. kind reports
// the family for GGUF export ("llama3", "qwen2" or "default").
func parsePreTokenizer(raw json.RawMessage) (pre preTokenizer, byteLevel bool, kind string, err error) {
	kind = "default"
	if isNull(raw) {
		return nil, false, kind, nil
	}
	var p struct {
		Type          string            `json:"type"`
		Pretokenizers []json.RawMessage `json:"pretokenizers"`
		Pattern       struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
		Behavior       string  `json:"behavior"`
		Invert         bool    `json:"invert"`
		AddPrefixSpace bool    `json:"add_prefix_space"`
		UseRegex       *bool   `json:"use_regex"`
		Replacement    string  `json:"replacement"`
		PrependScheme  *string `json:"prepend_scheme"`
		Split          *bool   `json:"split"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, false, kind, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch p.Type {
	case "Sequence":
		var seq sequencePre
		for _, r := range p.Pretokenizers {
			sub, bl, k, err := parsePreTokenizer(r)
			if err != nil {
				return nil, false, kind, err
			}
			if bl {
				byteLevel = true
			}
			if k != "default" {
				kind = k
			}
			if b, ok := sub.(byteLevelPre); ok && !b.useRegex && !b.addPrefixSpace {
				continue // pure byte spelling: nothing to split
			}
			if sub != nil {
				seq = append(seq, sub)
			}
		}
		if len(seq) == 1 {
			return seq[0], byteLevel, kind, nil
		}
		return seq, byteLevel, kind, nil
	case "ByteLevel":
		useRegex := p.UseRegex == nil || *p.UseRegex
		return byteLevelPre{useRegex: useRegex, addPrefixSpace: p.AddPrefixSpace}, true, kind, nil
	case "Split":
		if p.Invert {
			return nil, false, kind, fmt.Errorf("pre_tokenizer Split: inverted patterns are not supported")
		}
		if p.Pattern.String != nil {
			return stringSplit{delim: *p.Pattern.String, behavior: p.Behavior}, false, kind, nil
		}
		if p.Pattern.Regex != nil && p.Behavior == "Isolated" {
			switch *p.Pattern.Regex {
			case llama3Pattern:
				return regexSplit{kind: "llama3", maxDigits: 3}, false, "llama3", nil
			case qwen2Pattern:
				return regexSplit{kind: "qwen2", maxDigits: 1}, false, "qwen2", nil
			}
		}
		pat := ""
		if p.Pattern.Regex != nil {
			pat = *p.Pattern.Regex
		}
		return nil, false, kind, fmt.Errorf("pre_tokenizer Split: unsupported regex %q with behavior %s", pat, p.Behavior)
	case "Metaspace":
		scheme := "always"
		if p.PrependScheme != nil {
			scheme = *p.PrependScheme
		} else if !p.AddPrefixSpace {
			scheme = "never"
		}
		split := p.Split == nil || *p.Split
		rep := p.Replacement
		if rep == "" {
			rep = "▁"
		}
		return metaspacePre{replacement: rep, scheme: scheme, splitWords: split}, false, kind, nil
	}
	return nil, false, kind, fmt.Errorf("unsupported pre_tokenizer type %q", p.Type)
}
