package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// fieldFault is a problem with one field of a row.
type fieldFault struct {
	kind  error // ErrDuplicateKey or ErrInvalidUTF8
	field string
	msg   string
}

// check walks the raw JSON of one row for what encoding/json lets
// through without a word: an object that names a key twice (it keeps the
// last value; other readers keep the first, so the row means different
// things to different tools) and strings that are not UTF-8 (it replaces
// the bad bytes with U+FFFD, so the tokenizer would be fed characters the
// file does not hold). Both can only be seen in the raw bytes.
//
// raw must already be valid JSON (json.Unmarshal accepted it): the walk
// trusts its structure and stays a single pass that allocates nothing
// once the checker's buffers have grown. Strings are checked for UTF-8
// only when the row as a whole is not valid UTF-8, so a clean row (nearly
// all of them) pays one fast utf8.Valid.
func (c *jsonChecker) check(raw []byte, in jsonText) *fieldFault {
	c.w = jsonWalker{raw: raw, utf8: invalidUTF8AtBytes(raw) >= 0, in: in, path: c.w.path[:0], keys: c.w.keys[:0]}
	c.w.value()
	// The buffers point into raw, which may be large: let it go.
	clear(c.w.path[:cap(c.w.path)])
	clear(c.w.keys[:cap(c.w.keys)])
	return c.w.fault
}

// jsonChecker checks the raw JSON of rows, one after the other, reusing
// its buffers (a reader holds one).
type jsonChecker struct{ w jsonWalker }

// jsonText says where a row's raw JSON sits, for messages: where names it
// ("the line", "the element") and offset is how many bytes of it precede
// raw (leading spaces, a byte-order mark).
type jsonText struct {
	where  string
	offset int
}

// jsonWalker is a check's state: a recursive descent over raw, with
// the path to the current value for messages ("conversations[3].value").
type jsonWalker struct {
	raw   []byte
	pos   int
	utf8  bool
	in    jsonText
	path  []pathStep
	keys  [][]byte // keys of the open objects, outermost first
	fault *fieldFault
}

type pathStep struct {
	index int    // array element, when isKey is not set
	key   []byte // object key, unescaped (JSON: a slice of the row)
	name  string // or the key as a string (parquet: a column or field name)
	isKey bool
}

// manyKeys is where an object's key check switches from comparing with
// each earlier key to a set: chat rows have a few keys per object.
const manyKeys = 16

func (w *jsonWalker) value() {
	w.space()
	switch w.raw[w.pos] {
	case '{':
		w.object()
	case '[':
		w.array()
	case '"':
		w.text(w.str())
	default: // number, true, false, null
		for w.pos < len(w.raw) && !endsScalar(w.raw[w.pos]) {
			w.pos++
		}
	}
}

func endsScalar(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func (w *jsonWalker) object() {
	base := len(w.keys)
	w.members(base)
	w.keys = w.keys[:base]
}

// members walks an object's members, its keys recorded from w.keys[base].
func (w *jsonWalker) members(base int) {
	w.pos++ // {
	var set map[string]struct{}
	for w.fault == nil {
		w.space()
		if w.raw[w.pos] == '}' { // empty object
			w.pos++
			return
		}
		start, end := w.str()
		key := unescapeKey(w.raw[start:end])
		w.path = append(w.path, pathStep{key: key, isKey: true})
		if w.seen(key, base, &set) {
			w.fault = &fieldFault{kind: ErrDuplicateKey, field: w.field(), msg: fmt.Sprintf(
				"key %s appears twice in one object; keep one (Python and Go keep the last value, other readers the first)", quoteCapped(string(key)))}
			return
		}
		w.text(start, end)
		w.space()
		w.pos++ // :
		w.value()
		w.path = w.path[:len(w.path)-1]
		w.space()
		if w.raw[w.pos] == ',' {
			w.pos++
			continue
		}
		w.pos++ // }
		return
	}
}

func (w *jsonWalker) array() {
	w.pos++ // [
	for i := 0; w.fault == nil; i++ {
		w.space()
		if w.raw[w.pos] == ']' { // empty array
			w.pos++
			return
		}
		w.path = append(w.path, pathStep{index: i})
		w.value()
		w.path = w.path[:len(w.path)-1]
		w.space()
		if w.raw[w.pos] == ',' {
			w.pos++
			continue
		}
		w.pos++ // ]
		return
	}
}

// seen records key among the keys of the object opened at base, and
// reports whether it was already there.
func (w *jsonWalker) seen(key []byte, base int, set *map[string]struct{}) bool {
	if *set != nil {
		if _, ok := (*set)[string(key)]; ok {
			return true
		}
		(*set)[string(key)] = struct{}{}
		return false
	}
	for _, k := range w.keys[base:] {
		if bytes.Equal(k, key) {
			return true
		}
	}
	w.keys = append(w.keys, key)
	if len(w.keys)-base > manyKeys {
		*set = make(map[string]struct{}, 2*manyKeys)
		for _, k := range w.keys[base:] {
			(*set)[string(k)] = struct{}{}
		}
	}
	return false
}

// str skips the string at w.pos and returns the span of its contents
// (between the quotes).
func (w *jsonWalker) str() (start, end int) {
	start = w.pos + 1
	i := start
	for {
		j := bytes.IndexByte(w.raw[i:], '"')
		i += j
		// A quote after an odd run of backslashes is escaped.
		bs := 0
		for k := i - 1; k >= start && w.raw[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			w.pos = i + 1
			return start, i
		}
		i++
	}
}

// text checks the string contents raw[start:end] for invalid UTF-8.
func (w *jsonWalker) text(start, end int) {
	if !w.utf8 || w.fault != nil {
		return
	}
	if at := invalidUTF8AtBytes(w.raw[start:end]); at >= 0 {
		w.fault = &fieldFault{kind: ErrInvalidUTF8, field: w.field(), msg: utf8Problem(w.in.offset+start+at, w.raw[start+at], w.in.where)}
	}
}

func (w *jsonWalker) space() {
	for w.pos < len(w.raw) {
		switch w.raw[w.pos] {
		case ' ', '\t', '\r', '\n':
			w.pos++
		default:
			return
		}
	}
}

// field names the current value as errors name fields.
func (w *jsonWalker) field() string { return formatPath(w.path) }

// formatPath writes a path as errors name fields: conversations[3].value.
func formatPath(path []pathStep) string {
	var b strings.Builder
	for i, s := range path {
		if !s.isKey {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		name := s.name
		if s.key != nil {
			name = string(s.key)
		}
		b.WriteString(capText(strings.ToValidUTF8(name, "\uFFFD")))
	}
	return b.String()
}

// unescapeKey returns a key as it compares: "\u0061" and "a" are the same
// key. Keys rarely hold escapes, so the raw bytes serve as they are.
func unescapeKey(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var s string
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	if err := json.Unmarshal(quoted, &s); err != nil {
		return raw
	}
	return []byte(s)
}
