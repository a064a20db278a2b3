package dataset

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// arrowCheck measures one parquet row and checks its strings, straight
// from the decoded columns and before the row is converted: a row over
// the limit is refused before it is copied into Record values, and a
// string column whose bytes are not UTF-8 (parquet declares them UTF-8,
// but writers do not all check) is named instead of reaching the
// tokenizer.
type arrowCheck struct {
	size  int64 // bytes of strings and binaries, 8 per other value
	path  []pathStep
	fault *fieldFault
}

// column checks row i of one column.
func (c *arrowCheck) column(name string, a arrow.Array, i int) {
	c.path = append(c.path[:0], pathStep{name: name, isKey: true})
	c.value(a, i)
}

func (c *arrowCheck) value(a arrow.Array, i int) {
	if a.IsNull(i) {
		return
	}
	switch a := a.(type) {
	case *array.String:
		c.text(a.Value(i))
	case *array.LargeString:
		c.text(a.Value(i))
	case *array.StringView:
		c.text(a.Value(i))
	case *array.Binary:
		c.size += int64(len(a.Value(i)))
	case *array.LargeBinary:
		c.size += int64(len(a.Value(i)))
	case *array.List:
		start, end := a.ValueOffsets(i)
		c.list(a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		c.list(a.ListValues(), int(start), int(end))
	case *array.FixedSizeList:
		n := int(a.DataType().(*arrow.FixedSizeListType).Len())
		off := a.Offset()
		c.list(a.ListValues(), (off+i)*n, (off+i+1)*n)
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		for f := 0; f < a.NumField(); f++ {
			c.path = append(c.path, pathStep{name: st.Field(f).Name, isKey: true})
			c.value(a.Field(f), i)
			c.path = c.path[:len(c.path)-1]
		}
	case *array.Dictionary:
		c.value(a.Dictionary(), a.GetValueIndex(i))
	default:
		c.size += 8
	}
}

func (c *arrowCheck) list(values arrow.Array, start, end int) {
	for j := start; j < end; j++ {
		c.path = append(c.path, pathStep{index: j - start})
		c.value(values, j)
		c.path = c.path[:len(c.path)-1]
	}
}

func (c *arrowCheck) text(s string) {
	c.size += int64(len(s))
	if c.fault != nil {
		return
	}
	if at := invalidUTF8At(s); at >= 0 {
		c.fault = &fieldFault{kind: ErrInvalidUTF8, field: formatPath(c.path), msg: utf8Problem(at, s[at], "the value")}
	}
}
