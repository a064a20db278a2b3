package logging

import (
	"bytes"
	"encoding/json"
	"io"
	"time"
	"unicode/utf8"
)

// MaxLineBytes bounds one log line. A field that carries a user's value
// (an error quoting a 50 MB form field) would otherwise become one giant
// line; it is replaced by a short line saying so, with its beginning.
const MaxLineBytes = 64 << 10

// headBytes is how much of a cut line is kept.
const headBytes = 2 << 10

// lineCap passes each log event (zerolog writes one event per Write) to w,
// replacing one over MaxLineBytes by a valid JSON line of the same level.
type lineCap struct{ w io.Writer }

func (c lineCap) Write(p []byte) (int, error) {
	if len(p) <= MaxLineBytes {
		return c.w.Write(p)
	}
	head := p[:headBytes]
	for len(head) > 0 && !utf8.Valid(head) {
		head = head[:len(head)-1]
	}
	line, err := json.Marshal(struct {
		Level   string `json:"level"`
		Time    string `json:"time"`
		Message string `json:"message"`
		Bytes   int    `json:"bytes"`
		Head    string `json:"head"`
	}{levelOf(p), time.Now().Format(time.RFC3339), "log line cut: too long", len(p), string(head)})
	if err != nil {
		return 0, err
	}
	if _, err := c.w.Write(append(line, '\n')); err != nil {
		return 0, err
	}
	return len(p), nil
}

// levelOf reads the level zerolog writes first in each line.
func levelOf(p []byte) string {
	const prefix = `{"level":"`
	if !bytes.HasPrefix(p, []byte(prefix)) {
		return "warn"
	}
	rest := p[len(prefix):]
	if end := bytes.IndexByte(rest, '"'); end > 0 && end < 10 {
		return string(rest[:end])
	}
	return "warn"
}
