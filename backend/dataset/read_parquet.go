package dataset

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// parquetBatchRows is how many rows are decoded at a time: large enough
// to amortize arrow's per-batch work, small enough that a 100k-row file
// never sits in memory whole.
const parquetBatchRows = 2048

// parquetBatchBytes bounds a batch by size as well: 2048 rows of a
// megabyte each would be 2 GB at once. The row groups' metadata gives
// their average row size before anything is decoded.
const parquetBatchBytes = 64 << 20

// parquetSource streams a parquet file batch by batch through arrow-go.
// Nested columns are converted by arrow field name, never by the name of
// the list's child node, so `list<element: struct>`, `list<item: struct>`
// and `list<list: struct>` all read the same way.
type parquetSource struct {
	path   string
	pf     *file.Reader
	rr     pqarrow.RecordReader
	schema *arrow.Schema
	batch  arrow.RecordBatch
	pos    int
	row    int
	max    int64
	check  arrowCheck // reused from row to row
	// binary: some column holds binary values, which become strings
	// unchecked (they need not be text), so standardizing checks them.
	binary bool
}

func openParquet(path string, maxRow int64) (src *parquetSource, err error) {
	defer func() {
		// arrow-go can panic on some malformed files; never let that cross
		// our API.
		if r := recover(); r != nil {
			src, err = nil, &Error{File: path, Kind: ErrTruncated, Msg: fmt.Sprint("the parquet reader failed: ", r)}
		}
	}()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, parquetOpenError(path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: parquetBatchSize(pf)}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, &Error{File: path, Kind: ErrTruncated, Msg: "cannot map the parquet schema to arrow: " + err.Error()}
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		pf.Close()
		return nil, &Error{File: path, Kind: ErrTruncated, Msg: "cannot read row groups: " + err.Error()}
	}
	return &parquetSource{path: path, pf: pf, rr: rr, schema: rr.Schema(), max: maxRow, binary: hasBinary(rr.Schema().Fields())}, nil
}

// hasBinary reports whether any of fields, or a field nested in them, is
// binary.
func hasBinary(fields []arrow.Field) bool {
	for _, f := range fields {
		switch t := f.Type.(type) {
		case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
			return true
		case arrow.NestedType:
			if hasBinary(t.Fields()) {
				return true
			}
		case *arrow.DictionaryType:
			if hasBinary([]arrow.Field{{Type: t.ValueType}}) {
				return true
			}
		}
	}
	return false
}

// parquetBatchSize picks the rows per batch: parquetBatchRows, fewer when
// the row groups' average row is large.
func parquetBatchSize(pf *file.Reader) int64 {
	n := int64(parquetBatchRows)
	md := pf.MetaData()
	for i := 0; i < pf.NumRowGroups(); i++ {
		g := md.RowGroup(i)
		if rows := g.NumRows(); rows > 0 {
			if perRow := g.TotalByteSize() / rows; perRow > 0 {
				n = min(n, max(1, parquetBatchBytes/perRow))
			}
		}
	}
	return n
}

// parquetOpenError explains the usual reason a parquet file does not open:
// the footer (the file's table of contents, stored at the end) is missing
// because a download or copy stopped early.
func parquetOpenError(path string, err error) error {
	msg := err.Error()
	if f, oerr := os.Open(path); oerr == nil {
		defer f.Close()
		head := make([]byte, 4)
		tail := make([]byte, 4)
		st, _ := f.Stat()
		_, herr := io.ReadFull(f, head)
		_, terr := f.ReadAt(tail, max(st.Size()-4, 0))
		switch {
		case herr != nil || string(head) != "PAR1":
			msg = "not a parquet file (it does not start with the PAR1 magic bytes): " + msg
		case terr != nil || string(tail) != "PAR1":
			msg = fmt.Sprintf("the file (%d bytes) starts like parquet but has no footer or trailing PAR1 magic, so it was cut off (an interrupted download or copy?): download it again; reader said: %s", st.Size(), err)
		}
	}
	return &Error{File: path, Kind: ErrTruncated, Msg: msg}
}

func (s *parquetSource) Columns() []string {
	out := make([]string, 0, s.schema.NumFields())
	for _, f := range s.schema.Fields() {
		out = append(out, f.Name)
	}
	return out
}

// ColumnType reports the arrow type of a column, for error messages.
func (s *parquetSource) ColumnType(name string) (arrow.DataType, bool) {
	idx := s.schema.FieldIndices(name)
	if len(idx) == 0 {
		return nil, false
	}
	return s.schema.Field(idx[0]).Type, true
}

func (s *parquetSource) Next() (rec Record, err error) {
	defer func() {
		if r := recover(); r != nil {
			rec, err = Record{}, &Error{File: s.path, Row: s.row + 1, Kind: ErrTruncated, Msg: fmt.Sprint("the parquet reader failed: ", r)}
		}
	}()
	for s.batch == nil || s.pos >= int(s.batch.NumRows()) {
		if s.batch != nil {
			s.batch = nil // owned by the record reader, released on its next call
		}
		if !s.rr.Next() {
			if err := s.rr.Err(); err != nil && err != io.EOF {
				return Record{}, &Error{File: s.path, Row: s.row + 1, Kind: ErrTruncated, Msg: "reading rows: " + err.Error()}
			}
			return Record{}, io.EOF
		}
		s.batch = s.rr.RecordBatch()
		s.pos = 0
	}
	i := s.pos
	s.pos++
	s.row++
	chk := &s.check
	chk.size, chk.fault = 0, nil
	for c := 0; c < int(s.batch.NumCols()); c++ {
		chk.column(s.batch.ColumnName(c), s.batch.Column(c), i)
	}
	if chk.size > s.max {
		return Record{}, rowTooLarge(s.path, s.row, 0, chk.size, s.max)
	}
	if f := chk.fault; f != nil {
		return Record{}, &Error{File: s.path, Row: s.row, Field: f.field, Kind: f.kind, Msg: f.msg}
	}
	fields := make(map[string]any, s.batch.NumCols())
	for c := 0; c < int(s.batch.NumCols()); c++ {
		fields[s.batch.ColumnName(c)] = arrowValue(s.batch.Column(c), i)
	}
	return Record{Row: s.row, Fields: fields, textChecked: !s.binary}, nil
}

func (s *parquetSource) Close() error {
	if s.rr != nil {
		s.rr.Release()
	}
	return s.pf.Close()
}

// arrowValue converts element i of an arrow array into the generic shapes
// of Record.Fields.
func arrowValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case *array.LargeBinary:
		return string(a.Value(i))
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return int64(a.Value(i))
	case *array.Uint16:
		return int64(a.Value(i))
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Uint64:
		return int64(a.Value(i))
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.List:
		start, end := a.ValueOffsets(i)
		return arrowSlice(a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		return arrowSlice(a.ListValues(), int(start), int(end))
	case *array.FixedSizeList:
		n := a.DataType().(*arrow.FixedSizeListType).Len()
		off := a.Offset()
		return arrowSlice(a.ListValues(), int(off+i)*int(n), int(off+i+1)*int(n))
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		m := make(map[string]any, a.NumField())
		for f := 0; f < a.NumField(); f++ {
			m[st.Field(f).Name] = arrowValue(a.Field(f), i)
		}
		return m
	case *array.Dictionary:
		return arrowValue(a.Dictionary(), a.GetValueIndex(i))
	}
	// Anything else (timestamps, decimals...) as its display form: such
	// columns are metadata for a chat dataset, never conversation text.
	return a.ValueStr(i)
}

func arrowSlice(values arrow.Array, start, end int) []any {
	out := make([]any, 0, end-start)
	for j := start; j < end; j++ {
		out = append(out, arrowValue(values, j))
	}
	return out
}
