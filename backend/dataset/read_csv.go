package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
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
	lim    *budgetReader
	r      *csv.Reader
	header []string
	row    int
	max    int64
	start  int64 // file offset where r began (after a skipped record, its end)
	lines  int   // lines before start, for line numbers after a skip
}

func openCSV(path string, maxRow int64) (*csvSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	s := &csvSource{path: path, f: f, max: maxRow}
	s.restart(0)
	s.lim.limit = s.budget(0)
	header, err := s.r.Read()
	if err != nil {
		f.Close()
		switch {
		case s.lim.tripped:
			return nil, &Error{File: path, Line: 1, Kind: ErrRowTooLarge, Msg: fmt.Sprintf(
				"the header line is over the %s row limit: is this a CSV file? (%s)", formatMB(maxRow), rowLimitHelp)}
		case err == io.EOF:
			return nil, &Error{File: path, Kind: ErrEmptyDataset, Msg: "the file is empty (a header line naming the columns is needed)"}
		}
		return nil, &Error{File: path, Line: 1, Kind: ErrUnreadable, Msg: "header: " + err.Error()}
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // Excel's byte-order mark
		}
		if at := invalidUTF8At(h); at >= 0 {
			f.Close()
			return nil, &Error{File: path, Line: 1, Field: fmt.Sprintf("column %d", i+1), Kind: ErrInvalidUTF8, Msg: utf8Problem(at, h[at], "the column name")}
		}
		header[i] = h
	}
	s.header = header
	return s, nil
}

// restart reads on from file offset off with a fresh csv.Reader: after an
// oversized record the old one has given up, its buffer cut short.
func (s *csvSource) restart(off int64) {
	s.f.Seek(off, io.SeekStart)
	s.start = off
	s.lim = &budgetReader{r: s.f, pos: off}
	s.r = csv.NewReader(bufio.NewReaderSize(s.lim, readBufferSize))
	s.r.FieldsPerRecord = -1 // checked per row for a better message
	s.r.ReuseRecord = false
}

// budget is the read limit while the record starting at off is read: the
// row limit plus the read buffer, which can hold that much of what
// follows. Reaching it means the record itself is over the row limit.
func (s *csvSource) budget(off int64) int64 { return off + s.max + readBufferSize + 1 }

func (s *csvSource) Columns() []string { return append([]string(nil), s.header...) }

func (s *csvSource) Next() (Record, error) {
	recStart := s.start + s.r.InputOffset()
	s.lim.limit = s.budget(recStart)
	rec, err := s.r.Read()
	if s.lim.tripped {
		s.row++
		return Record{}, s.skipRecord(recStart)
	}
	if err == io.EOF {
		return Record{}, io.EOF
	}
	s.row++
	line, _ := s.r.FieldPos(0)
	line += s.lines
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Record{}, &Error{File: s.path, Row: s.row, Line: pe.StartLine + s.lines, Kind: ErrUnreadable, Msg: pe.Err.Error()}
		}
		return Record{}, &Error{File: s.path, Row: s.row, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if size := s.start + s.r.InputOffset() - recStart; size > s.max {
		return Record{}, rowTooLarge(s.path, s.row, line, size, s.max)
	}
	if len(rec) != len(s.header) {
		return Record{}, &Error{File: s.path, Row: s.row, Line: line, Kind: ErrWrongType,
			Msg: "row has " + strconv.Itoa(len(rec)) + " cells but the header names " + strconv.Itoa(len(s.header)) + " columns"}
	}
	fields := make(map[string]any, len(rec))
	for i, v := range rec {
		if at := invalidUTF8At(v); at >= 0 {
			return Record{}, &Error{File: s.path, Row: s.row, Line: line, Field: s.header[i], Kind: ErrInvalidUTF8, Msg: utf8Problem(at, v[at], "the cell")}
		}
		fields[s.header[i]] = v
	}
	return Record{Row: s.row, Line: line, Fields: fields, textChecked: true}, nil
}

// skipRecord passes over the oversized record that starts at off (the csv
// reader stopped partway) and restarts reading after it; it returns the
// error for that row.
func (s *csvSource) skipRecord(off int64) error {
	before, err := countLines(s.f, s.start, off)
	if err != nil {
		return &Error{File: s.path, Row: s.row, Kind: ErrUnreadable, Msg: err.Error()}
	}
	s.lines += before
	end, size, blank, lines, err := csvRecordEnd(s.f, off)
	if err != nil {
		return &Error{File: s.path, Row: s.row, Kind: ErrUnreadable, Msg: err.Error()}
	}
	line := s.lines + blank + 1
	s.lines += lines
	s.restart(end)
	return rowTooLarge(s.path, s.row, line, size, s.max)
}

func (s *csvSource) Close() error { return s.f.Close() }

// budgetReader feeds the csv reader and refuses to read past limit: the
// csv package gathers a record whole, so this is what bounds a record.
type budgetReader struct {
	r       io.Reader
	pos     int64 // file offset of the next byte
	limit   int64
	tripped bool
}

var errRowBudget = errors.New("row over the size limit")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.pos >= b.limit {
		b.tripped = true
		return 0, errRowBudget
	}
	if rest := b.limit - b.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.pos += int64(n)
	return n, err
}

// csvRecordEnd finds the end of the CSV record at off without holding it:
// after the empty lines the csv package skips, a record ends at the first
// newline outside quotes (a doubled quote inside a quoted field toggles
// twice, so counting quotes is enough). It returns the offset after the
// record, the record's size, the empty lines before it and all the lines
// passed.
func csvRecordEnd(f io.ReaderAt, off int64) (end, size int64, blank, lines int, err error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, off, 1<<62), readBufferSize)
	pos, recStart := off, off
	started, inQuote := false, false
	for {
		piece, err := br.ReadSlice('\n')
		pos += int64(len(piece))
		full := len(piece) > 0 && piece[len(piece)-1] == '\n'
		if full {
			lines++
		}
		if !started && full && (len(piece) == 1 || len(piece) == 2 && piece[0] == '\r') {
			blank++
			recStart = pos
		} else if len(piece) > 0 {
			started = true
			if bytes.Count(piece, []byte{'"'})%2 == 1 {
				inQuote = !inQuote
			}
			if full && !inQuote {
				return pos, pos - recStart, blank, lines, nil
			}
		}
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			return pos, pos - recStart, blank, lines, nil
		default:
			return 0, 0, 0, 0, err
		}
	}
}

// countLines counts the newlines of f between offsets from and to.
func countLines(f io.ReaderAt, from, to int64) (int, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, from, to-from), readBufferSize)
	n := 0
	for {
		piece, err := br.ReadSlice('\n')
		if len(piece) > 0 && piece[len(piece)-1] == '\n' {
			n++
		}
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			return n, nil
		default:
			return 0, err
		}
	}
}
