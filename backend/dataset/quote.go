package dataset

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/whetstone-ai/whetstone/backend/quote"
)

// Errors quote what the user's file or settings hold (column names, keys,
// role names). Those values are unbounded: a "role" can be a whole
// paragraph, a "column name" a megabyte of JSON, and an error that echoes
// it whole is unreadable in a terminal and can flood a log or an HTTP
// response. These helpers cap what is quoted.
// maxQuotedItems is how many values of a list an error quotes.
const maxQuotedItems = 20

// capText returns s cut to quote.Limit characters, with "…" when cut.
func capText(s string) string {
	head, cut := quote.Head(s, quote.Limit)
	if cut == 0 {
		return s
	}
	return head + "…"
}

// quoteCapped quotes s for an error message like %q, cut to about 100
// characters; a cut value says how long it really was.
func quoteCapped(s string) string {
	c := capText(s)
	if c == s {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s (%d characters)", strconv.Quote(c), utf8.RuneCountInString(s))
}

// quoteList quotes the values of xs, capped one by one and in number.
func quoteList(xs []string) string {
	n := min(len(xs), maxQuotedItems)
	q := make([]string, n, n+1)
	for i, x := range xs[:n] {
		q[i] = quoteCapped(x)
	}
	if len(xs) > n {
		q = append(q, fmt.Sprintf("and %d more", len(xs)-n))
	}
	return strings.Join(q, ", ")
}
