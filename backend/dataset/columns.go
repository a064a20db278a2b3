package dataset

import "sort"

// Columns lists the dataset's column names: the file's header (parquet,
// CSV) plus the keys of the rows read for detection (JSON), sorted, so the
// mapping editor can offer every column and not only those detection used.
func (s *Scanner) Columns() []string {
	var sample []Record
	for _, p := range s.buf {
		if p.err == nil {
			sample = append(sample, p.rec)
		}
	}
	set := columnSet(s.src.Columns(), sample)
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
