package chattemplate

import (
	"fmt"
	"strings"
	"unicode"
)

// The lexer splits a template into text and tags, applying the whitespace
// rules transformers configures (trim_blocks and lstrip_blocks on, plus the
// explicit "-" and "+" markers), and tokenizes the inside of each tag.

type tokKind int

const (
	tkName tokKind = iota
	tkString
	tkInt
	tkFloat
	tkOp
	tkEnd
)

type token struct {
	kind tokKind
	val  string
	line int
}

// chunk is one piece of the template: text, an output tag ({{ }}) or a
// statement tag ({% %}); comments are dropped.
type chunk struct {
	kind   byte // 't' text, 'o' output, 's' statement
	text   string
	tokens []token
	line   int
}

func lex(src string) ([]chunk, error) {
	// Jinja2 normalizes newlines and drops one trailing newline.
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.TrimSuffix(src, "\n")

	var out []chunk
	pos, line := 0, 1
	lineStarting := true
	for pos < len(src) {
		k := nextTagStart(src, pos)
		if k < 0 {
			out = append(out, chunk{kind: 't', text: src[pos:], line: line})
			break
		}
		text := src[pos:k]
		opener := src[k+1]
		sign := byte(0)
		if k+2 < len(src) && (src[k+2] == '-' || src[k+2] == '+') {
			sign = src[k+2]
		}
		switch {
		case sign == '-':
			text = strings.TrimRightFunc(text, unicode.IsSpace)
		case sign != '+' && opener != '{':
			lp := strings.LastIndexByte(text, '\n') + 1
			if lp > 0 || lineStarting {
				rest := text[lp:]
				if rest != "" && strings.TrimLeft(rest, " \t\v\f") == "" {
					text = text[:lp]
				}
			}
		}
		if text != "" {
			out = append(out, chunk{kind: 't', text: text, line: line})
		}
		line += strings.Count(src[pos:k], "\n")
		body := k + 2
		if sign != 0 {
			body++
		}
		if opener == '#' {
			end := strings.Index(src[body:], "#}")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unclosed comment", line)
			}
			end += body
			closeSign := src[end-1]
			line += strings.Count(src[k:end], "\n")
			pos = end + 2
			pos, lineStarting = afterTag(src, pos, closeSign, true)
			continue
		}
		closer := "}}"
		if opener == '%' {
			closer = "%}"
		}
		toks, end, err := lexTag(src, body, closer, line)
		if err != nil {
			return nil, err
		}
		closeSign := byte(0)
		if n := len(toks); n > 0 && toks[n-1].kind == tkOp && (toks[n-1].val == "-" || toks[n-1].val == "+") && end > 0 && (src[end-1] == '-' || src[end-1] == '+') {
			closeSign = toks[n-1].val[0]
			toks = toks[:n-1]
		}
		line += strings.Count(src[k:end], "\n")
		kind := byte('o')
		if opener == '%' {
			kind = 's'
		}
		// {% raw %} keeps everything up to {% endraw %} verbatim.
		if kind == 's' && len(toks) == 1 && toks[0].kind == tkName && toks[0].val == "raw" {
			rawStart, _ := afterTag(src, end+2, closeSign, true)
			content, endTagEnd, ok := findEndraw(src, rawStart)
			if !ok {
				return nil, fmt.Errorf("line %d: {%% raw %%} without {%% endraw %%}", line)
			}
			out = append(out, chunk{kind: 't', text: content, line: line})
			line += strings.Count(src[end:endTagEnd], "\n")
			pos, lineStarting = afterTag(src, endTagEnd, src[endTagEnd-3], true)
			continue
		}
		toks = append(toks, token{kind: tkEnd, line: line})
		out = append(out, chunk{kind: kind, tokens: toks, line: line})
		pos, lineStarting = afterTag(src, end+2, closeSign, kind == 's')
	}
	return out, nil
}

// afterTag applies the closing whitespace rules and says whether the next
// text starts a line (for lstrip_blocks).
func afterTag(src string, pos int, closeSign byte, block bool) (int, bool) {
	switch {
	case closeSign == '-':
		for pos < len(src) && unicode.IsSpace(rune(src[pos])) {
			pos++
		}
	case closeSign != '+' && block && pos < len(src) && src[pos] == '\n':
		return pos + 1, true
	}
	return pos, false
}

// findEndraw locates {% endraw %} (with optional - markers) from pos and
// returns the raw content and the offset after the end tag.
func findEndraw(src string, pos int) (content string, end int, ok bool) {
	for i := pos; ; {
		k := strings.Index(src[i:], "{%")
		if k < 0 {
			return "", 0, false
		}
		k += i
		j := k + 2
		strip := false
		if j < len(src) && (src[j] == '-' || src[j] == '+') {
			strip = src[j] == '-'
			j++
		}
		rest := strings.TrimLeft(src[j:], " \t\n")
		if strings.HasPrefix(rest, "endraw") {
			after := strings.TrimLeft(rest[len("endraw"):], " \t\n")
			if strings.HasPrefix(after, "-%}") || strings.HasPrefix(after, "+%}") || strings.HasPrefix(after, "%}") {
				closeAt := len(src) - len(after)
				endAt := closeAt + strings.Index(after, "%}") + 2
				c := src[pos:k]
				if strip {
					c = strings.TrimRightFunc(c, unicode.IsSpace)
				}
				return c, endAt, true
			}
		}
		i = k + 2
	}
}

func nextTagStart(src string, pos int) int {
	for {
		k := strings.IndexByte(src[pos:], '{')
		if k < 0 {
			return -1
		}
		k += pos
		if k+1 < len(src) && (src[k+1] == '{' || src[k+1] == '%' || src[k+1] == '#') {
			return k
		}
		pos = k + 1
	}
}

var twoCharOps = []string{"//", "**", "==", "!=", "<=", ">="}

// lexTag tokenizes from pos up to closer; it returns the tokens and the
// offset of closer.
func lexTag(src string, pos int, closer string, line int) ([]token, int, error) {
	var toks []token
	depth := 0 // open brackets: "}}" inside a dict literal does not close
	for pos < len(src) {
		c := src[pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if c == '\n' {
				line++
			}
			pos++
		case depth == 0 && strings.HasPrefix(src[pos:], closer):
			return toks, pos, nil
		case depth == 0 && (c == '-' || c == '+') && strings.HasPrefix(src[pos+1:], closer):
			toks = append(toks, token{tkOp, string(c), line})
			pos++
		case c == '_' || isLetter(c):
			j := pos + 1
			for j < len(src) && (src[j] == '_' || isLetter(src[j]) || isDigit(src[j])) {
				j++
			}
			toks = append(toks, token{tkName, src[pos:j], line})
			pos = j
		case isDigit(c):
			j := pos
			for j < len(src) && (isDigit(src[j]) || src[j] == '_') {
				j++
			}
			kind := tkInt
			if j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
				kind = tkFloat
				j++
				for j < len(src) && (isDigit(src[j]) || src[j] == '_') {
					j++
				}
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				e := j + 1
				if e < len(src) && (src[e] == '+' || src[e] == '-') {
					e++
				}
				if e < len(src) && isDigit(src[e]) {
					kind = tkFloat
					j = e
					for j < len(src) && isDigit(src[j]) {
						j++
					}
				}
			}
			toks = append(toks, token{kind, strings.ReplaceAll(src[pos:j], "_", ""), line})
			pos = j
		case c == '\'' || c == '"':
			s, n, err := lexString(src[pos:])
			if err != nil {
				return nil, 0, fmt.Errorf("line %d: %w", line, err)
			}
			line += strings.Count(src[pos:pos+n], "\n")
			toks = append(toks, token{tkString, s, line})
			pos += n
		default:
			op := ""
			for _, o := range twoCharOps {
				if strings.HasPrefix(src[pos:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if !strings.ContainsRune("+-*/%~()[]{}.,:|=<>!", rune(c)) {
					return nil, 0, fmt.Errorf("line %d: unexpected character %q", line, c)
				}
				op = string(c)
			}
			switch op {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth = max(depth-1, 0)
			}
			toks = append(toks, token{tkOp, op, line})
			pos += len(op)
		}
	}
	return nil, 0, fmt.Errorf("line %d: missing %q", line, closer)
}

// lexString reads a quoted string literal with Python escapes.
func lexString(s string) (string, int, error) {
	q := s[0]
	var sb strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == q {
			return sb.String(), i + 1, nil
		}
		if c != '\\' || i+1 >= len(s) {
			sb.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			sb.WriteByte('\n')
		case 't':
			sb.WriteByte('\t')
		case 'r':
			sb.WriteByte('\r')
		case '\\', '\'', '"':
			sb.WriteByte(e)
		case '0':
			sb.WriteByte(0)
		case 'u', 'x', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n < len(s) {
				var r rune
				ok := true
				for _, h := range s[i+1 : i+1+n] {
					v := strings.IndexRune("0123456789abcdef", unicode.ToLower(h))
					if v < 0 {
						ok = false
						break
					}
					r = r*16 + rune(v)
				}
				if ok {
					sb.WriteRune(r)
					i += n
					continue
				}
			}
			sb.WriteByte('\\')
			sb.WriteByte(e)
		default:
			sb.WriteByte('\\')
			sb.WriteByte(e)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
