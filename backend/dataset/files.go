package dataset

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// DataFiles lists the data files behind path: the file itself, or, for a
// folder such as a dataset downloaded from the Hugging Face hub, its
// parquet/json/jsonl/csv files of one split ("train" when split is empty
// and the folder has train files, else all of them), sorted by name so
// shards are read in order.
func DataFiles(path, split string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var all, metadata []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if _, err := FileTypeOf(p); err != nil || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if isMetadataFile(d.Name()) {
			metadata = append(metadata, d.Name())
			return nil
		}
		all = append(all, p)
		return nil
	})
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if len(all) == 0 {
		msg := "the folder holds no .parquet, .json, .jsonl or .csv file"
		if len(metadata) > 0 {
			msg = fmt.Sprintf("the folder holds no data file, only metadata (%s): is it a model folder?", strings.Join(metadata, ", "))
		}
		return nil, &Error{File: path, Kind: ErrEmptyDataset, Msg: msg}
	}
	return SplitFiles(path, all, split)
}

// SplitFiles picks one split's files among a dataset's data files (for
// instance the list a hub download returns), judging by the names of the
// files and folders below root: "train" when split is empty and there are
// train files, else all of them. The result is sorted.
func SplitFiles(root string, all []string, split string) ([]string, error) {
	all = append([]string(nil), all...)
	sort.Strings(all)
	if root == "" {
		root = commonDir(all)
	}
	want := split
	if want == "" {
		want = "train"
	}
	var picked []string
	for _, p := range all {
		if splitOf(root, p) == want {
			picked = append(picked, p)
		}
	}
	if len(picked) == 0 {
		if split != "" {
			return nil, &Error{File: root, Kind: ErrEmptyDataset, Msg: fmt.Sprintf("no data file of split %q among %d files", split, len(all))}
		}
		return all, nil
	}
	return picked, nil
}

// commonDir is the deepest folder holding all files.
func commonDir(files []string) string {
	if len(files) == 0 {
		return ""
	}
	dir := filepath.Dir(files[0])
	for _, f := range files[1:] {
		for dir != filepath.Dir(dir) && !strings.HasPrefix(f, dir+string(filepath.Separator)) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}

// splitWord matches the split names the hub uses in file and folder names
// (train-00000-of-00003.parquet, data/test/..., validation.jsonl).
var splitWord = regexp.MustCompile(`(?i)(^|[^a-z])(train|test|validation|valid|dev|eval)([^a-z]|$)`)

func splitOf(root, p string) string {
	rel, _ := filepath.Rel(root, p)
	m := splitWord.FindStringSubmatch(filepath.ToSlash(rel))
	if m == nil {
		return ""
	}
	s := strings.ToLower(m[2])
	if s == "valid" || s == "dev" || s == "eval" {
		s = "validation"
	}
	return s
}

// multiSource reads several files one after the other, as one dataset.
// Rows are numbered across files; errors still name the file and its own
// row, since that is where a user goes to fix them.
type multiSource struct {
	files []string
	i     int
	cur   Source
	base  int // rows in the files before the current one
	first []string
}

func openMulti(files []string) (*multiSource, error) {
	src, err := Open(files[0])
	if err != nil {
		return nil, err
	}
	return &multiSource{files: files, cur: src, first: src.Columns()}, nil
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
				if m.cur, err = Open(m.files[m.i]); err != nil {
					return Record{}, err
				}
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

// isMetadataFile reports JSON files that model folders, adapters and
// saved datasets carry next to their data (config.json, tokenizer.json,
// dataset_info.json, shard indexes): a folder scan skips them rather than
// reading them as rows.
func isMetadataFile(name string) bool {
	switch strings.ToLower(name) {
	case "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
		"special_tokens_map.json", "added_tokens.json", "vocab.json", "chat_template.json",
		"preprocessor_config.json", "processor_config.json", "adapter_config.json",
		"trainer_state.json", "dataset_info.json", "dataset_infos.json", "dataset_dict.json", "state.json":
		return true
	}
	return strings.HasSuffix(strings.ToLower(name), ".index.json")
}
