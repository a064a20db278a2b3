package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// decoder turns the token strings of a sequence back into text pieces, as a
// step of Hugging Face's decoder chain.
type decoder interface {
	decodeChain(tokens []string) []string
}

type byteLevelDecoder struct{}

// decodeChain spells every token back into bytes (tokens that are not
// byte-level spelled, like some added tokens, contribute their own bytes) and
// decodes the whole sequence at once, so multi-token characters survive.
func (byteLevelDecoder) decodeChain(tokens []string) []string {
	var raw []byte
	for _, t := range tokens {
		if b, ok := byteLevelDecode(t); ok {
			raw = append(raw, b...)
		} else {
			raw = append(raw, t...)
		}
	}
	return []string{lossyUTF8(raw)}
}

type replaceDecoder struct{ from, to string }

func (r replaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = strings.ReplaceAll(t, r.from, r.to)
	}
	return out
}

// byteFallbackDecoder turns runs of "<0xXX>" tokens into the text they spell;
// a run that is not valid UTF-8 becomes one U+FFFD per byte (as in HF).
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if s := string(pending); utf8.ValidString(s) {
			out = append(out, s)
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range tokens {
		if b, ok := parseByteToken(t); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// parseByteToken recognizes "<0xXX>".
func parseByteToken(t string) (byte, bool) {
	if len(t) != 6 || t[0] != '<' || t[1] != '0' || t[2] != 'x' || t[5] != '>' {
		return 0, false
	}
	hex := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		}
		return 0, false
	}
	hi, ok1 := hex(t[3])
	lo, ok2 := hex(t[4])
	return hi<<4 | lo, ok1 && ok2
}

type fuseDecoder struct{}

func (fuseDecoder) decodeChain(tokens []string) []string {
	return []string{strings.Join(tokens, "")}
}

// stripDecoder removes up to start/stop occurrences of content from each
// token's ends (Llama 2 strips the leading space of the first word).
type stripDecoder struct {
	content     string
	start, stop int
}

func (d stripDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		for k := 0; k < d.start && strings.HasPrefix(t, d.content); k++ {
			t = t[len(d.content):]
		}
		for k := 0; k < d.stop && strings.HasSuffix(t, d.content); k++ {
			t = t[:len(t)-len(d.content)]
		}
		out[i] = t
	}
	return out
}

// metaspaceDecoder maps the meta symbol back to spaces and drops the prefix
// space of the first token when the encoder added one.
type metaspaceDecoder struct {
	replacement string
	prepend     bool
}

func (d metaspaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		t = strings.ReplaceAll(t, d.replacement, " ")
		if i == 0 && d.prepend {
			t = strings.TrimPrefix(t, " ")
		}
		out[i] = t
	}
	return out
}

type sequenceDecoder []decoder

func (q sequenceDecoder) decodeChain(tokens []string) []string {
	for _, d := range q {
		tokens = d.decodeChain(tokens)
	}
	return tokens
}

func parseDecoder(raw json.RawMessage) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	var d struct {
		Type     string            `json:"type"`
		Decoders []json.RawMessage `json:"decoders"`
		Pattern  struct {
			String *string `json:"String"`
		} `json:"pattern"`
		Content        string  `json:"content"`
		Start          int     `json:"start"`
		Stop           int     `json:"stop"`
		Replacement    string  `json:"replacement"`
		PrependScheme  *string `json:"prepend_scheme"`
		AddPrefixSpace *bool   `json:"add_prefix_space"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	switch d.Type {
	case "Sequence":
		var seq sequenceDecoder
		for _, r := range d.Decoders {
			sub, err := parseDecoder(r)
			if err != nil {
				return nil, err
			}
			if sub != nil {
				seq = append(seq, sub)
			}
		}
		return seq, nil
	case "ByteLevel":
		return byteLevelDecoder{}, nil
	case "Replace":
		if d.Pattern.String == nil {
			return nil, fmt.Errorf("decoder Replace: only string patterns are supported")
		}
		return replaceDecoder{from: *d.Pattern.String, to: d.Content}, nil
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "Strip":
		return stripDecoder{content: d.Content, start: d.Start, stop: d.Stop}, nil
	case "Metaspace":
		prepend := true
		if d.PrependScheme != nil {
			prepend = *d.PrependScheme != "never"
		} else if d.AddPrefixSpace != nil {
			prepend = *d.AddPrefixSpace
		}
		rep := d.Replacement
		if rep == "" {
			rep = "▁"
		}
		return metaspaceDecoder{replacement: rep, prepend: prepend}, nil
	}
	return nil, fmt.Errorf("unsupported decoder type %q", d.Type)
}

// cleanUpTokenizationSpaces is transformers' clean_up_tokenization: it glues
// punctuation and English contractions back to the previous word. The
// replacements run one after another, in transformers' order, because a
// single-pass replacer gives different results on overlapping inputs.
func cleanUpTokenizationSpaces(s string) string {
	for _, r := range cleanupPairs {
		if strings.Contains(s, r[0]) {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
	}
	return s
}

var cleanupPairs = [...][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}
