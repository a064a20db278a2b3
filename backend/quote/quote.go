// Package quote puts user-supplied values into error messages and logs
// without letting them grow either: a 50 MB string pasted into a form field
// comes back as its first hundred characters and a count, never whole.
package quote

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Limit is how many characters of a value a message shows.
const Limit = 100

// Value quotes s as Go does (%q), cut to Limit characters with the number
// of bytes left out after it.
func Value(s string) string {
	head, cut := Head(s, Limit)
	if cut == 0 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d more bytes)", strconv.Quote(head), cut)
}

// Head returns the first n characters of s (cut at a rune boundary; invalid
// bytes count as one character each) and how many bytes were left out.
func Head(s string, n int) (string, int) {
	if len(s) <= n {
		return s, 0
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i], len(s) - i
}

// Text cuts a longer message (an error text, a log field) to n bytes at a
// rune boundary, saying how much was left out.
func Text(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return fmt.Sprintf("%s… (%d more bytes)", s[:i], len(s)-i)
}
