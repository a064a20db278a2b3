package dataset

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// textFileSource reads a .txt file as one row, its whole text in the
// column "text" (read as FormatText): continued pretraining corpora come
// as one document per file, a book or an article, and a folder of them is
// a dataset of documents. The file is the row, so the row size limit is
// the file's: a file over it is refused before it is read.
type textFileSource struct {
	path  string
	limit int64
	row   int // 1 once the row was read
}

// textFileColumn is the column a .txt file's text is read into.
const textFileColumn = "text"

func openText(path string, limit int64) (*textFileSource, error) {
	return &textFileSource{path: path, limit: limit}, nil
}

func (s *textFileSource) Columns() []string { return []string{textFileColumn} }

func (s *textFileSource) Next() (Record, error) {
	if s.row > 0 {
		return Record{}, io.EOF
	}
	s.row = 1
	f, err := os.Open(s.path)
	if err != nil {
		return Record{}, &Error{File: s.path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Record{}, &Error{File: s.path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if st.Size() > s.limit {
		return Record{}, s.tooLarge(st.Size())
	}
	// Read one byte past the limit: a file that grew since Stat is caught.
	b, err := io.ReadAll(io.LimitReader(f, s.limit+1))
	if err != nil {
		return Record{}, &Error{File: s.path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if int64(len(b)) > s.limit {
		return Record{}, s.tooLarge(int64(len(b)))
	}
	b = bytes.TrimPrefix(b, utf8BOM) // written by some Windows editors
	if at := invalidUTF8AtBytes(b); at >= 0 {
		return Record{}, &Error{File: s.path, Row: 1, Field: textFileColumn, Kind: ErrInvalidUTF8, Msg: utf8Problem(at, b[at], "the file")}
	}
	text := string(b)
	if strings.TrimSpace(text) == "" {
		return Record{}, &Error{File: s.path, Row: 1, Field: textFileColumn, Kind: ErrMissingValue, Msg: "the file is empty (or only white space): a .txt file is one row of text"}
	}
	return Record{Row: 1, Fields: map[string]any{textFileColumn: text}, textChecked: true}, nil
}

// tooLarge refuses a file over the row size limit, saying which setting
// raises it: a .txt file is one row, so the limit is on the file.
func (s *textFileSource) tooLarge(size int64) *Error {
	return &Error{File: s.path, Row: 1, Kind: ErrRowTooLarge, Msg: fmt.Sprintf(
		"the file is %s, over the %s row size limit: a .txt file is read as one row; raise dataset.max_row_mb (--max-row-mb, or max_row_mb in the dataset settings), or split the file into smaller ones",
		formatMB(size), formatMB(s.limit))}
}

func (s *textFileSource) Close() error { return nil }

func (s *textFileSource) rowCount() int { return s.row }
