package dataset

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// ShareGPTRow is one row of FineTome's schema: the turns plus the two
// metadata columns.
type ShareGPTRow struct {
	Turns  []Turn
	Source string
	Score  float64
}

// Turn is a ShareGPT turn as stored: role under "from", text under "value".
type Turn struct {
	From  string
	Value string
}

// ParquetWriteOptions tunes WriteShareGPTParquet.
type ParquetWriteOptions struct {
	// ListChild names the arrow list's child field: "element" (modern
	// pyarrow, the default) or "item" (older pyarrow, arrow's own default).
	ListChild string
	// RowGroupRows caps a row group's size (default 64k rows).
	RowGroupRows int
}

// ShareGPTSchema is FineTome-100k's arrow schema with the given list child
// name: conversations list<struct<from, value>>, source string, score double.
func ShareGPTSchema(listChild string) *arrow.Schema {
	if listChild == "" {
		listChild = "element"
	}
	turn := arrow.StructOf(
		arrow.Field{Name: "from", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "value", Type: arrow.BinaryTypes.String, Nullable: true},
	)
	return arrow.NewSchema([]arrow.Field{
		{Name: "conversations", Type: arrow.ListOfField(arrow.Field{Name: listChild, Type: turn, Nullable: true}), Nullable: true},
		{Name: "source", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
}

// WriteShareGPTParquet writes rows as a SNAPPY-compressed parquet file in
// FineTome's schema, atomically (temp file, then rename). It is how a
// cleaned dataset is saved, and how tests and benchmarks build files of
// that exact shape without downloading anything.
func WriteShareGPTParquet(path string, rows []ShareGPTRow, opts ParquetWriteOptions) error {
	schema := ShareGPTSchema(opts.ListChild)
	groupRows := opts.RowGroupRows
	if groupRows <= 0 {
		groupRows = 64 * 1024
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if opts.ListChild != "" && opts.ListChild != "element" {
		// pqarrow always names the parquet list child "element"; other
		// namings need the lower-level writer.
		if err := writeShareGPTLowLevel(tmp, rows, opts.ListChild, groupRows); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
		parquet.WithMaxRowGroupLength(int64(groupRows)),
	)
	fw, err := pqarrow.NewFileWriter(schema, tmp, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	mem := memory.NewGoAllocator()
	for start := 0; start < len(rows); start += groupRows {
		end := min(start+groupRows, len(rows))
		rec := buildShareGPTBatch(mem, schema, rows[start:end])
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := fw.Close(); err != nil { // also closes tmp
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func buildShareGPTBatch(mem memory.Allocator, schema *arrow.Schema, rows []ShareGPTRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	lb := b.Field(0).(*array.ListBuilder)
	sb := lb.ValueBuilder().(*array.StructBuilder)
	from := sb.FieldBuilder(0).(*array.StringBuilder)
	value := sb.FieldBuilder(1).(*array.StringBuilder)
	src := b.Field(1).(*array.StringBuilder)
	score := b.Field(2).(*array.Float64Builder)
	for _, r := range rows {
		lb.Append(true)
		for _, t := range r.Turns {
			sb.Append(true)
			from.Append(t.From)
			value.Append(t.Value)
		}
		src.Append(r.Source)
		score.Append(r.Score)
	}
	return b.NewRecordBatch()
}

// writeShareGPTLowLevel writes FineTome's schema with parquet's own column
// writers, so the list's child group can carry any name. It closes w.
func writeShareGPTLowLevel(w *os.File, rows []ShareGPTRow, child string, groupRows int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet writer: %v", r)
		}
	}()
	str := func(name string) *schema.PrimitiveNode {
		n, err := schema.NewPrimitiveNodeLogical(name, parquet.Repetitions.Optional, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)
		if err != nil {
			panic(err)
		}
		return n
	}
	elem := schema.MustGroup(schema.NewGroupNode(child, parquet.Repetitions.Optional, schema.FieldList{str("from"), str("value")}, -1))
	list := schema.MustGroup(schema.NewGroupNode("list", parquet.Repetitions.Repeated, schema.FieldList{elem}, -1))
	conv := schema.MustGroup(schema.NewGroupNodeLogical("conversations", parquet.Repetitions.Optional, schema.FieldList{list}, schema.ListLogicalType{}, -1))
	root := schema.MustGroup(schema.NewGroupNode("schema", parquet.Repetitions.Required,
		schema.FieldList{conv, str("source"), schema.NewFloat64Node("score", parquet.Repetitions.Optional, -1)}, -1))
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDictionaryDefault(true))
	pw := file.NewParquetWriter(w, root, file.WithWriterProps(props))
	for start := 0; start < len(rows); start += groupRows {
		group := rows[start:min(start+groupRows, len(rows))]
		rg := pw.AppendRowGroup()
		// conversations.list.<child>.from and .value: definition level 4 is
		// a present string, 1 an empty list; repetition 1 continues a row's list.
		for _, pick := range []func(Turn) string{func(t Turn) string { return t.From }, func(t Turn) string { return t.Value }} {
			var vals []parquet.ByteArray
			var def, rep []int16
			for _, r := range group {
				if len(r.Turns) == 0 {
					def, rep = append(def, 1), append(rep, 0)
					continue
				}
				for j, t := range r.Turns {
					vals = append(vals, parquet.ByteArray(pick(t)))
					def = append(def, 4)
					rep = append(rep, int16(min(j, 1)))
				}
			}
			cw, err := rg.NextColumn()
			if err != nil {
				return err
			}
			if _, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(vals, def, rep); err != nil {
				return err
			}
		}
		srcVals := make([]parquet.ByteArray, len(group))
		scores := make([]float64, len(group))
		ones := make([]int16, len(group))
		for i, r := range group {
			srcVals[i], scores[i], ones[i] = parquet.ByteArray(r.Source), r.Score, 1
		}
		cw, err := rg.NextColumn()
		if err != nil {
			return err
		}
		if _, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(srcVals, ones, nil); err != nil {
			return err
		}
		if cw, err = rg.NextColumn(); err != nil {
			return err
		}
		if _, err := cw.(*file.Float64ColumnChunkWriter).WriteBatch(scores, ones, nil); err != nil {
			return err
		}
		if err := rg.Close(); err != nil {
			return err
		}
	}
	return pw.Close()
}
