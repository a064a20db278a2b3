package hub

import (
	"fmt"
	"regexp"
	"strings"
)

// matcher selects repo files with huggingface_hub's allow/ignore pattern
// rules: shell globs as Python's fnmatch reads them, where '*' also crosses
// '/', and a pattern ending in '/' means everything under that folder.
type matcher struct {
	include []*regexp.Regexp
	exclude []*regexp.Regexp
}

func newMatcher(include, exclude []string) (*matcher, error) {
	m := &matcher{}
	for _, p := range include {
		re, err := globRegexp(p)
		if err != nil {
			return nil, err
		}
		m.include = append(m.include, re)
	}
	for _, p := range exclude {
		re, err := globRegexp(p)
		if err != nil {
			return nil, err
		}
		m.exclude = append(m.exclude, re)
	}
	return m, nil
}

// match reports whether path is selected: it matches some include pattern
// (or there are none) and no exclude pattern.
func (m *matcher) match(path string) bool {
	ok := len(m.include) == 0
	for _, re := range m.include {
		if re.MatchString(path) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for _, re := range m.exclude {
		if re.MatchString(path) {
			return false
		}
	}
	return true
}

// globRegexp translates an fnmatch pattern to an anchored regexp.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return nil, fmt.Errorf("empty file pattern")
	}
	if strings.HasSuffix(p, "/") {
		p += "*"
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch ch := p[i]; ch {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(p) && (p[j] == '!' || p[j] == '^') {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) {
				b.WriteString(`\[`)
				continue
			}
			class := p[i+1 : j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("file pattern %q: %w", pattern, err)
	}
	return re, nil
}
