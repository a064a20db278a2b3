package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// jsonSource streams the elements of a top-level JSON array without
// holding the whole file, or any element over the row limit, in memory.
type jsonSource struct {
	path    string
	f       *os.File
	er      *elementReader
	row     int
	done    bool
	columns map[string]struct{}
	check   jsonChecker
}

func openJSON(path string, maxRow int64) (*jsonSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	br := bufio.NewReaderSize(f, readBufferSize)
	var off int64
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
		off = int64(len(utf8BOM))
	}
	er := &elementReader{at: f, r: br, off: off, max: maxRow}
	c, err := er.space()
	if err == io.EOF {
		f.Close()
		return nil, &Error{File: path, Kind: ErrEmptyDataset, Msg: "the file is empty"}
	}
	if err == nil && c == '[' {
		er.skip()
		return &jsonSource{path: path, f: f, er: er, columns: map[string]struct{}{}}, nil
	}
	// Not an array: the decoder reads what is there, to say what it is.
	defer f.Close()
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil {
		return nil, &Error{File: path, Kind: ErrInvalidJSON, Msg: err.Error()}
	}
	if d, ok := tok.(json.Delim); ok && d == '{' {
		return nil, &Error{File: path, Kind: ErrNotArray, Msg: describeTopObject(dec)}
	}
	return nil, &Error{File: path, Kind: ErrNotArray, Msg: fmt.Sprintf("found %v; expected [ {...}, {...} ]", tok)}
}

// describeTopObject reads the keys of a top-level object to suggest where
// the rows might be, e.g. {"data": [...]}.
func describeTopObject(dec *json.Decoder) string {
	var arrays, others []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		if strings.HasPrefix(strings.TrimSpace(string(v)), "[") {
			arrays = append(arrays, key)
		} else {
			others = append(others, key)
		}
	}
	msg := "the file holds one JSON object, but a .json dataset must be an array of rows ([ {...}, {...} ])"
	if len(arrays) > 0 {
		sort.Strings(arrays)
		msg += fmt.Sprintf("; the object's key %s holds an array: save that array as the file's top level (or one row per line as .jsonl)", quoteList(arrays))
	} else if len(others) > 0 {
		msg += fmt.Sprintf("; its keys are %s: if it is a single row, wrap it in [ ]", quoteList(others))
	}
	return msg
}

func (s *jsonSource) Columns() []string { return sortedKeys(s.columns) }

func (s *jsonSource) Next() (Record, error) {
	if s.done {
		return Record{}, io.EOF
	}
	// Before an element: the closing bracket, or (after the first) a comma.
	c, err := s.er.space()
	switch {
	case err != nil:
	case c == ']':
		s.er.skip()
		s.done = true
		return Record{}, io.EOF
	case s.row > 0 && c != ',':
		s.done = true
		return Record{}, &Error{File: s.path, Kind: ErrInvalidJSON, Msg: fmt.Sprintf("after element %d: found %q where a comma or ] should be", s.row, c)}
	case s.row > 0:
		s.er.skip()
		if c, err = s.er.space(); err == nil && c == ']' {
			s.done = true
			return Record{}, &Error{File: s.path, Kind: ErrInvalidJSON, Msg: fmt.Sprintf("after element %d: a comma before the closing ] (not allowed in JSON)", s.row)}
		}
	}
	if err != nil {
		s.done = true
		msg := err.Error()
		if err == io.EOF {
			msg = fmt.Sprintf("the file ends after element %d (was it cut off?)", s.row)
		}
		// Not a row's fault but the file's: even skipping bad rows, stop.
		return Record{}, &Error{File: s.path, Kind: ErrInvalidJSON, Msg: "the array is not closed with ]: " + msg}
	}
	s.row++
	raw, size, err := s.er.value()
	if err != nil {
		s.done = true // the element's end is unknown: the stream cannot go on
		msg := err.Error()
		if err == io.EOF {
			msg = "the file ends inside it (was it cut off?)"
		}
		return Record{}, &Error{File: s.path, Kind: ErrInvalidJSON, Msg: fmt.Sprintf("in element %d: %s", s.row, msg)}
	}
	if size == 0 {
		s.done = true
		return Record{}, &Error{File: s.path, Kind: ErrInvalidJSON, Msg: fmt.Sprintf("in element %d: found %q where a value should start", s.row, c)}
	}
	if size > s.er.max {
		return Record{}, rowTooLarge(s.path, s.row, 0, size, s.er.max)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			return Record{}, &Error{File: s.path, Row: s.row, Kind: ErrWrongType, Msg: "array element is not an object: " + err.Error()}
		}
		// The scanner's idea of where the element ends may be wrong in
		// broken JSON: the stream cannot go on.
		s.done = true
		return Record{}, &Error{File: s.path, Kind: ErrInvalidJSON, Msg: fmt.Sprintf("in element %d: %s", s.row, jsonProblem(err, raw))}
	}
	if f := s.check.check(raw, jsonText{where: "the element"}); f != nil {
		return Record{}, &Error{File: s.path, Row: s.row, Field: f.field, Kind: f.kind, Msg: f.msg}
	}
	for k := range fields {
		s.columns[k] = struct{}{}
	}
	return Record{Row: s.row, Fields: fields, textChecked: true}, nil
}

func (s *jsonSource) Close() error { return s.f.Close() }
