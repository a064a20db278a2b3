package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Record is one row of a dataset file, decoded into plain Go values the
// same way whatever the file type: strings, float64/int64, bool, nil,
// []any for lists and map[string]any for objects and structs. Keeping one
// generic shape lets format detection and standardization ignore whether
// a row came from parquet, JSON or CSV.
type Record struct {
	Row    int // 1-based data row (across all files of a multi-file dataset)
	Line   int // 1-based text line where the row starts; 0 when not a text format
	Fields map[string]any
	// File and FileRow locate the row in a multi-file dataset; empty/0
	// when the dataset is one file (Row is then the file's row).
	File    string
	FileRow int
	// textChecked: the reader found every string of the row valid UTF-8,
	// so standardizing need not look again.
	textChecked bool
}

// Source streams the records of one file. Next returns io.EOF after the
// last record. An error tied to one row (an invalid JSON line) is returned
// as a *Error with that row, and Next may be called again to continue with
// the following rows; any other error ends the stream.
type Source interface {
	// Columns lists the column names known before reading (parquet and
	// CSV headers); for JSON it is the keys of the rows read so far.
	Columns() []string
	Next() (Record, error)
	Close() error
}

// FileType is how a file's bytes are laid out.
type FileType string

const (
	FileParquet FileType = "parquet"
	FileJSON    FileType = "json"
	FileJSONL   FileType = "jsonl"
	FileCSV     FileType = "csv"
	// FileText is a plain text file: the whole file is one row of raw
	// text (see textFileSource).
	FileText FileType = "txt"
)

// FileTypeOf infers the file type from the extension.
func FileTypeOf(path string) (FileType, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet", ".pq":
		return FileParquet, nil
	case ".json":
		return FileJSON, nil
	case ".jsonl", ".ndjson":
		return FileJSONL, nil
	case ".csv":
		return FileCSV, nil
	case ".txt":
		return FileText, nil
	}
	return "", &Error{File: path, Kind: ErrUnsupportedFile,
		Msg: fmt.Sprintf("extension %s is not one of .parquet, .json, .jsonl, .ndjson, .csv, .txt", quoteCapped(filepath.Ext(path)))}
}

// Open opens a dataset file for streaming, choosing the reader by
// extension. maxRowBytes bounds one row (0: DefaultMaxRowBytes); a larger
// row is a row-level ErrRowTooLarge, found without holding it whole
// where the format allows.
func Open(path string, maxRowBytes int64) (Source, error) {
	limit, err := Options{MaxRowBytes: maxRowBytes}.rowLimit()
	if err != nil {
		return nil, &Error{File: path, Kind: ErrRowTooLarge, Msg: err.Error()}
	}
	ft, err := FileTypeOf(path)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(path); err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	} else if st.IsDir() {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: "is a directory, expected a data file"}
	}
	switch ft {
	case FileParquet:
		return openParquet(path, limit)
	case FileJSON:
		return openJSON(path, limit)
	case FileJSONL:
		return openJSONL(path, limit)
	case FileText:
		return openText(path, limit)
	default:
		return openCSV(path, limit)
	}
}
