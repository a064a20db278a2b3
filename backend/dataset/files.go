package dataset

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Bounds of a folder scan. A dataset folder, even a hub snapshot of
// thousands of shards, is a few levels deep; a scan that goes past these
// was most likely given the wrong folder (a home folder, a disk's root)
// and would otherwise walk for minutes.
const (
	MaxScanDepth   = 8     // folder levels below the one given
	MaxScanEntries = 10000 // files and folders visited
)

// DataFiles lists the data files behind path: the file itself, or, for a
// folder such as a dataset downloaded from the Hugging Face hub, its
// parquet/json/jsonl/csv/txt files of one split ("train" when split is empty
// and the folder has train files, else all of them), sorted by name so
// shards are read in order. A folder scan stops with ErrFolderTooLarge
// past MaxScanDepth or MaxScanEntries, and with ctx's error when ctx ends.
func DataFiles(ctx context.Context, path, split string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var all, metadata []string
	visited := 0
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if visited++; visited > MaxScanEntries {
			return &Error{File: path, Kind: ErrFolderTooLarge, Msg: fmt.Sprintf(
				"the folder %s has more than %d entries: choose the subfolder that holds the dataset", path, MaxScanEntries)}
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if depth(path, p) > MaxScanDepth {
				return &Error{File: path, Kind: ErrFolderTooLarge, Msg: fmt.Sprintf(
					"the folder %s goes more than %d folders deep (%s): choose the subfolder that holds the dataset", path, MaxScanDepth, p)}
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
	if _, ok := AsError(err); ok || ctx.Err() != nil {
		return nil, err
	}
	if err != nil {
		return nil, &Error{File: path, Kind: ErrUnreadable, Msg: err.Error()}
	}
	if len(all) == 0 {
		msg := "the folder holds no .parquet, .json, .jsonl, .csv or .txt file"
		if len(metadata) > 0 {
			msg = fmt.Sprintf("the folder holds no data file, only metadata (%s): is it a model folder?", strings.Join(metadata, ", "))
		}
		return nil, &Error{File: path, Kind: ErrEmptyDataset, Msg: msg}
	}
	return SplitFiles(path, all, split)
}

// depth is how many folders below root p lies (root itself: 0).
func depth(root, p string) int {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == "." {
		return 0
	}
	return strings.Count(filepath.ToSlash(rel), "/") + 1
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
			return nil, &Error{File: root, Kind: ErrEmptyDataset, Msg: fmt.Sprintf("no data file of split %s among %d files", quoteCapped(split), len(all))}
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

// isMetadataFile reports JSON files that model folders, adapters and
// saved datasets carry next to their data (config.json, tokenizer.json,
// dataset_info.json, shard indexes), and the text files that are not a
// corpus's documents (a licence, a tokenizer's vocab.txt and merges.txt):
// a folder scan skips them rather than reading them as rows.
func isMetadataFile(name string) bool {
	switch strings.ToLower(name) {
	case "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
		"special_tokens_map.json", "added_tokens.json", "vocab.json", "chat_template.json",
		"preprocessor_config.json", "processor_config.json", "adapter_config.json",
		"trainer_state.json", "dataset_info.json", "dataset_infos.json", "dataset_dict.json", "state.json",
		"vocab.txt", "merges.txt", "license.txt", "licence.txt", "readme.txt", "notice.txt",
		"requirements.txt", "citation.txt":
		return true
	}
	return strings.HasSuffix(strings.ToLower(name), ".index.json")
}
