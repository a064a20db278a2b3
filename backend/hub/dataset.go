package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ConvertedParquetRevision is the branch where the hub keeps an automatic
// parquet conversion of datasets stored in other formats.
const ConvertedParquetRevision = "refs/convert/parquet"

// rowFileExts are the plain-row formats used when a dataset has no parquet.
var rowFileExts = []string{".jsonl", ".json", ".csv"}

// metadataJSON are JSON files that describe a dataset rather than hold rows.
var metadataJSON = map[string]bool{
	"dataset_info.json":  true,
	"dataset_infos.json": true,
	"state.json":         true,
	"dataset_dict.json":  true,
}

// pickDataFiles chooses a dataset's data files: its parquet files if it has
// any, else its JSON Lines / JSON / CSV files.
func pickDataFiles(names []string) []string {
	var parquet, rows []string
	for _, f := range names {
		base := path.Base(f)
		if strings.HasPrefix(base, ".") {
			continue
		}
		switch ext := strings.ToLower(path.Ext(f)); {
		case ext == ".parquet":
			parquet = append(parquet, f)
		case contains(rowFileExts, ext) && !metadataJSON[base]:
			rows = append(rows, f)
		}
	}
	if len(parquet) > 0 {
		return parquet
	}
	return rows
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func planDataset(_ context.Context, v repoView) ([]string, error) {
	files := pickDataFiles(v.files())
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no parquet, json, jsonl or csv files", errNoDataFiles)
	}
	return files, nil
}

// DownloadDataset makes a dataset revision's data files available and
// returns their absolute paths, sorted: its parquet files, else its
// JSON Lines / JSON / CSV files. A dataset stored in another format (a
// loading script, arrow shards) is read from the hub's automatic parquet
// conversion on the refs/convert/parquet branch instead.
func (c *Client) DownloadDataset(ctx context.Context, repoID, revision string) ([]string, error) {
	snap, err := c.DatasetSnapshot(ctx, repoID, revision)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(snap.Files))
	for i, f := range snap.Files {
		out[i] = snap.Path(f)
	}
	return out, nil
}

// DatasetSnapshot is DownloadDataset returning the whole snapshot, whose
// Revision says whether the parquet conversion was used.
func (c *Client) DatasetSnapshot(ctx context.Context, repoID, revision string) (*Snapshot, error) {
	repo := Repo{Type: Dataset, ID: repoID}
	snap, err := c.snapshot(ctx, repo, revision, planDataset)
	defaultRev := revision == "" || revision == DefaultRevision
	if errors.Is(err, ErrNotCached) && defaultRev {
		// Offline, a cache that only ever held the conversion has refs/main
		// but no snapshot for it.
		if conv, cerr := c.snapshot(ctx, repo, ConvertedParquetRevision, planDataset); cerr == nil {
			snap, err = conv, nil
		}
	}
	if errors.Is(err, errNoDataFiles) && defaultRev {
		snap, err = c.snapshot(ctx, repo, ConvertedParquetRevision, planDataset)
		if err != nil {
			err = fmt.Errorf("%s has no parquet, json, jsonl or csv files, and its parquet conversion (%s) failed: %w", repo, ConvertedParquetRevision, err)
		}
	}
	return snap, err
}

// ResolveDataset turns a dataset reference into data files: a local file is
// used as is, a local folder gives its data files (chosen as for the hub),
// and a hub id (with an optional @revision) is downloaded.
func (c *Client) ResolveDataset(ctx context.Context, ref string) ([]string, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if !r.IsLocal() {
		if r.Type == Model {
			return nil, fmt.Errorf("%q names a model, not a dataset", ref)
		}
		return c.DownloadDataset(ctx, r.ID, r.Revision)
	}
	info, err := os.Stat(r.Local)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", r.Local, err)
	}
	if !info.IsDir() {
		return []string{r.Local}, nil
	}
	names, err := cachedFiles(ctx, r.Local)
	if err != nil {
		return nil, err
	}
	files := pickDataFiles(names)
	if len(files) == 0 {
		return nil, fmt.Errorf("dataset folder %s has no parquet, json, jsonl or csv files", r.Local)
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(r.Local, filepath.FromSlash(f))
	}
	sort.Strings(out)
	return out, nil
}
