package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

// csvSource reads a CSV file whose first line names the columns. Every
// value is a string; an empty cell is "".
type csvSource struct {
	path   string
	f      *os.File
	r      *csv.Reader
	header []string
	row    int
}

func openCSV(path string) (*csvSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = -1 // checked per row for a better message
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		f.Close()
		if err == io.EOF {
			return nil, &Error{File: path, Kind: ErrEmptyDataset, Msg: "the file is empty (a header line naming the columns is needed)"}
		}
		return nil, &Error{File: path, Line: 1, Kind: ErrUnreadable, Msg: "header: " + err.Error()}
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // Excel's byte-order mark
		}
		header[i] = h
	}
	return &csvSource{path: path, f: f, r: r, header: header}, nil
}

func (s *csvSource) Columns() []string { return append([]string(nil), s.header...) }

func (s *csvSource) Next() (Record, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	s.row++
	line, _ := s.r.FieldPos(0)
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Record{}, &Error{File: s.path, Row: s.row, Line: pe.StartLine, Kind: ErrUnreadable, Msg: pe.Err.Error()}
		}
		return Record{}, &Error{File: s.path, Row: s.row, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if len(rec) != len(s.header) {
		return Record{}, &Error{File: s.path, Row: s.row, Line: line, Kind: ErrWrongType,
			Msg: "row has " + strconv.Itoa(len(rec)) + " cells but the header names " + strconv.Itoa(len(s.header)) + " columns"}
	}
	fields := make(map[string]any, len(rec))
	for i, v := range rec {
		fields[s.header[i]] = v
	}
	return Record{Row: s.row, Line: line, Fields: fields}, nil
}

func (s *csvSource) Close() error { return s.f.Close() }
