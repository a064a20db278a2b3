package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// jsonlSource reads one JSON object per line. Blank lines are skipped; a
// line that is not valid JSON is reported with its line number and the
// stream can continue past it.
type jsonlSource struct {
	path    string
	f       *os.File
	r       *bufio.Reader
	line    int
	row     int
	columns map[string]struct{}
}

func openJSONL(path string) (*jsonlSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	return &jsonlSource{path: path, f: f, r: bufio.NewReaderSize(f, 1<<20), columns: map[string]struct{}{}}, nil
}

func (s *jsonlSource) Columns() []string { return sortedKeys(s.columns) }

func (s *jsonlSource) Next() (Record, error) {
	for {
		line, err := s.r.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			if err == io.EOF {
				return Record{}, io.EOF
			}
			return Record{}, &Error{File: s.path, Line: s.line + 1, Kind: ErrUnreadable, Msg: err.Error()}
		}
		s.line++
		if s.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM) // written by some Windows editors
		}
		line = bytes.TrimSpace(line)
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
		for k := range fields {
			s.columns[k] = struct{}{}
		}
		return Record{Row: s.row, Line: s.line, Fields: fields}, nil
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
