package dataset

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// jsonlSource reads one JSON object per line. Blank lines are skipped; a
// line that is not valid JSON, too long, not UTF-8 or with a duplicated
// key is reported with its line number and the stream can continue past
// it.
type jsonlSource struct {
	path    string
	f       *os.File
	lr      *lineReader
	line    int
	row     int
	columns map[string]struct{}
	check   jsonChecker
}

func openJSONL(path string, maxRow int64) (*jsonlSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	return &jsonlSource{path: path, f: f, lr: newLineReader(f, maxRow), columns: map[string]struct{}{}}, nil
}

func (s *jsonlSource) Columns() []string { return sortedKeys(s.columns) }

func (s *jsonlSource) Next() (Record, error) {
	for {
		line, size, err := s.lr.next()
		if size == 0 && err != nil {
			if err == io.EOF {
				return Record{}, io.EOF
			}
			return Record{}, &Error{File: s.path, Line: s.line + 1, Kind: ErrUnreadable, Msg: err.Error()}
		}
		if err != nil && err != io.EOF {
			return Record{}, &Error{File: s.path, Line: s.line + 1, Kind: ErrUnreadable, Msg: err.Error()}
		}
		s.line++
		if line == nil { // over the limit, already skipped
			s.row++
			return Record{}, rowTooLarge(s.path, s.row, s.line, size, s.lr.max)
		}
		lead := 0 // bytes trimmed off the front, so offsets count from the line's start
		if s.line == 1 && bytes.HasPrefix(line, utf8BOM) {
			line, lead = line[len(utf8BOM):], len(utf8BOM) // written by some Windows editors
		}
		trimmed := bytes.TrimLeftFunc(line, unicode.IsSpace)
		lead += len(line) - len(trimmed)
		line = bytes.TrimRightFunc(trimmed, unicode.IsSpace)
		if len(line) == 0 {
			continue
		}
		s.row++
		if line[0] != '{' {
			return Record{}, &Error{File: s.path, Row: s.row, Line: s.line, Kind: ErrInvalidJSON,
				Msg: "each line must be one JSON object ({...})"}
		}
		var fields map[string]any
		if err := json.Unmarshal(line, &fields); err != nil {
			return Record{}, &Error{File: s.path, Row: s.row, Line: s.line, Kind: ErrInvalidJSON, Msg: jsonProblem(err, line)}
		}
		if f := s.check.check(line, jsonText{where: "the line", offset: lead}); f != nil {
			return Record{}, &Error{File: s.path, Row: s.row, Line: s.line, Field: f.field, Kind: f.kind, Msg: f.msg}
		}
		for k := range fields {
			s.columns[k] = struct{}{}
		}
		return Record{Row: s.row, Line: s.line, Fields: fields, textChecked: true}, nil
	}
}

func (s *jsonlSource) Close() error { return s.f.Close() }

var utf8BOM = []byte("\ufeff")

// jsonProblem words a decoding error for a person: encoding/json's
// "unexpected end of JSON input" means the line was cut off.
func jsonProblem(err error, data []byte) string {
	msg := err.Error()
	if se, ok := err.(*json.SyntaxError); ok {
		msg = se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if strings.HasPrefix(err.Error(), "unexpected end of JSON input") {
		msg += " (the line ends in the middle of a value: was it cut off?)"
	}
	return msg
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
