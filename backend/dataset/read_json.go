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
// holding the whole file in memory.
type jsonSource struct {
	path    string
	f       *os.File
	dec     *json.Decoder
	row     int
	done    bool
	columns map[string]struct{}
}

func openJSON(path string) (*jsonSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	br := bufio.NewReaderSize(f, 1<<20)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil {
		f.Close()
		if err == io.EOF {
			return nil, &Error{File: path, Kind: ErrEmptyDataset, Msg: "the file is empty"}
		}
		return nil, &Error{File: path, Kind: ErrInvalidJSON, Msg: err.Error()}
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		defer f.Close()
		if d, ok := tok.(json.Delim); ok && d == '{' {
			return nil, &Error{File: path, Kind: ErrNotArray, Msg: describeTopObject(dec)}
		}
		return nil, &Error{File: path, Kind: ErrNotArray, Msg: fmt.Sprintf("found %v; expected [ {...}, {...} ]", tok)}
	}
	return &jsonSource{path: path, f: f, dec: dec, columns: map[string]struct{}{}}, nil
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
			arrays = append(arrays, fmt.Sprintf("%q", key))
		} else {
			others = append(others, fmt.Sprintf("%q", key))
		}
	}
	msg := "the file holds one JSON object, but a .json dataset must be an array of rows ([ {...}, {...} ])"
	if len(arrays) > 0 {
		sort.Strings(arrays)
		msg += fmt.Sprintf("; the object's key %s holds an array: save that array as the file's top level (or one row per line as .jsonl)", strings.Join(arrays, ", "))
	} else if len(others) > 0 {
		msg += fmt.Sprintf("; its keys are %s: if it is a single row, wrap it in [ ]", strings.Join(others, ", "))
	}
	return msg
}

func (s *jsonSource) Columns() []string { return sortedKeys(s.columns) }

func (s *jsonSource) Next() (Record, error) {
	if s.done {
		return Record{}, io.EOF
	}
	if !s.dec.More() {
		s.done = true
		if _, err := s.dec.Token(); err != nil { // closing ]
			return Record{}, &Error{File: s.path, Row: s.row, Kind: ErrInvalidJSON, Msg: "the array is not closed with ]: " + err.Error()}
		}
		return Record{}, io.EOF
	}
	s.row++
	var fields map[string]any
	if err := s.dec.Decode(&fields); err != nil {
		// A syntax error desynchronizes the decoder: the stream cannot go on.
		s.done = true
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			return Record{}, &Error{File: s.path, Row: s.row, Kind: ErrWrongType, Msg: "array element is not an object: " + err.Error()}
		}
		return Record{}, &Error{File: s.path, Kind: ErrInvalidJSON, Msg: fmt.Sprintf("in element %d: %s", s.row, err)}
	}
	for k := range fields {
		s.columns[k] = struct{}{}
	}
	return Record{Row: s.row, Fields: fields}, nil
}

func (s *jsonSource) Close() error { return s.f.Close() }
