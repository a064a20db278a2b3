package dataset

import "io"

// multiSource reads several files one after the other, as one dataset.
// Rows are numbered across files; errors still name the file and its own
// row, since that is where a user goes to fix them.
type multiSource struct {
	files []string
	max   int64 // row size limit, for each file
	i     int
	cur   Source
	base  int // rows in the files before the current one
	first []string
}

func openMulti(files []string, maxRow int64) (*multiSource, error) {
	src, err := Open(files[0], maxRow)
	if err != nil {
		return nil, err
	}
	return &multiSource{files: files, max: maxRow, cur: src, first: src.Columns()}, nil
}

func (m *multiSource) Columns() []string {
	if m.cur != nil {
		return m.cur.Columns()
	}
	return m.first
}

func (m *multiSource) Next() (Record, error) {
	for {
		if m.cur == nil {
			return Record{}, io.EOF
		}
		rec, err := m.cur.Next()
		if err == io.EOF {
			m.base += m.rowsOf(m.cur)
			m.cur.Close()
			m.cur = nil
			if m.i++; m.i < len(m.files) {
				// Open's Source is a typed nil on error: kept in m.cur it
				// would be a non-nil interface that Close dereferences.
				src, err := Open(m.files[m.i], m.max)
				if err != nil {
					return Record{}, err
				}
				m.cur = src
			}
			continue
		}
		if err != nil {
			return Record{}, err
		}
		rec.File = m.files[m.i]
		rec.FileRow = rec.Row
		rec.Row += m.base
		return rec, nil
	}
}

// rowsOf is how many rows a finished source produced.
func (m *multiSource) rowsOf(s Source) int {
	if c, ok := s.(interface{ rowCount() int }); ok {
		return c.rowCount()
	}
	return 0
}

func (m *multiSource) Close() error {
	if m.cur != nil {
		return m.cur.Close()
	}
	return nil
}

func (s *jsonlSource) rowCount() int   { return s.row }
func (s *jsonSource) rowCount() int    { return s.row }
func (s *csvSource) rowCount() int     { return s.row }
func (s *parquetSource) rowCount() int { return s.row }
