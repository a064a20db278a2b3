package service

import (
	"fmt"
	"runtime"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

// Datasets reads, detects, previews and measures chat datasets.
type Datasets struct{ deps Deps }

// DatasetRequest names a dataset and, optionally, how to read it and which
// model's tokenizer and chat template to render it with.
type DatasetRequest struct {
	// Path is a local file or folder, or a hub dataset id (org/name[@rev]).
	Path string `json:"path"`
	// Split picks the files of a folder or hub dataset by split name
	// ("train", "test"...); empty reads the train split when the files are
	// named by split, and every data file otherwise.
	Split string `json:"split"`
	// Mapping overrides detection field by field (format, columns, roles).
	Mapping dataset.Mapping `json:"mapping"`
	// Model renders and tokenizes rows (a local folder or hub id); empty
	// previews messages only.
	Model string `json:"model"`
	// TrainOn is one of batch.Modes; empty is the first, "responses".
	TrainOn batch.Mode `json:"train_on"`
	MaxLen  int        `json:"max_len"`
	// Truncation is what happens to rows over MaxLen, one of
	// dataset.Truncations; empty is the first, "truncate".
	Truncation dataset.Truncation `json:"truncation"`
	// SkipBadRows, MaxBadRows and MaxRowMB are the run config's
	// dataset.skip_bad_rows, max_bad_rows and max_row_mb, read the same
	// way training reads them. Stats go on past MaxBadRows (0: no limit)
	// and say that training would stop there.
	SkipBadRows bool `json:"skip_bad_rows"`
	MaxBadRows  int  `json:"max_bad_rows"`
	// MaxRowMB refuses rows larger than this (0: dataset.DefaultMaxRowBytes).
	MaxRowMB int `json:"max_row_mb"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

// DatasetInfo is what detection found.
type DatasetInfo struct {
	// Path is the dataset as given (a file, a folder, a hub id): what
	// Preview and Stats take to read all of Files, as training does.
	Path string `json:"path"`
	// Files are the data files read, in order: those of the split for a
	// folder or hub dataset (see dataset.DataFiles).
	Files     []string          `json:"files"`
	Detection dataset.Detection `json:"detection"`
	// Columns are every column of the file, for the mapping editor.
	Columns []string `json:"columns"`
}

// Inspect detects the format of a dataset and explains why.
func (s *Datasets) Inspect(req DatasetRequest) (out DatasetInfo, err error) {
	defer guard(s.deps.Log, "Datasets.Inspect", &err)
	if req, err = req.check(); err != nil {
		return out, err
	}
	path, opts, err := s.source(req)
	if err != nil {
		return out, err
	}
	sc, err := dataset.NewScanner(s.deps.ctx(), path, opts)
	if err != nil {
		return out, err
	}
	defer sc.Close()
	s.deps.rememberDataset(req.Path) // the pickers offer it next time
	return DatasetInfo{Path: req.Path, Files: sc.Files(), Detection: sc.Detection(), Columns: sc.Columns()}, nil
}

// Preview returns one page of rows as messages and, with a model, as the
// exact rendered text with the trained tokens marked.
func (s *Datasets) Preview(req DatasetRequest) (out *dataset.PreviewPage, err error) {
	defer guard(s.deps.Log, "Datasets.Preview", &err)
	if req, err = req.check(); err != nil {
		return out, err
	}
	path, opts, labeler, err := s.open(req)
	if err != nil {
		return nil, err
	}
	key := countKey(s.deps.ctx(), path, opts)
	po := dataset.PreviewOptions{Page: req.Page, PageSize: req.PageSize, MaxLen: req.MaxLen}
	if key != "" {
		po.Counts = previewCounts.get(key)
	}
	page, err := dataset.Preview(s.deps.ctx(), path, opts, labeler, po)
	if err == nil && key != "" && po.Counts == nil {
		previewCounts.put(key, page.Counts())
	}
	return page, err
}

// Stats reads the whole dataset: rows, turns and, with a model, the token
// length histogram and what truncation would drop.
func (s *Datasets) Stats(req DatasetRequest) (out *dataset.Stats, err error) {
	defer guard(s.deps.Log, "Datasets.Stats", &err)
	if req, err = req.check(); err != nil {
		return out, err
	}
	path, opts, labeler, err := s.open(req)
	if err != nil {
		return nil, err
	}
	return dataset.ComputeStats(s.deps.ctx(), path, opts, labeler,
		dataset.StatsOptions{MaxLen: req.MaxLen, Truncation: req.Truncation, Workers: runtime.NumCPU()})
}

// Bounds of what a DatasetRequest may ask for.
const (
	MaxPreviewPageSize = 200
	MaxPreviewPage     = 10_000_000
	MaxDatasetMaxLen   = 1 << 20
)

// check refuses sizes that would make one request read or hold too much
// and names that are not formats, modes or roles (invalid requests), and
// returns the request with those names in their standard spelling.
func (r DatasetRequest) check() (DatasetRequest, error) {
	switch {
	case r.PageSize < 0 || r.PageSize > MaxPreviewPageSize:
		return r, invalidf("page_size: must be between 0 (the default, 20) and %d, got %d", MaxPreviewPageSize, r.PageSize)
	case r.Page < 0 || r.Page > MaxPreviewPage:
		return r, invalidf("page: must be between 0 and %d, got %d", MaxPreviewPage, r.Page)
	case r.MaxLen < 0 || r.MaxLen > MaxDatasetMaxLen:
		return r, invalidf("max_len: must be between 0 (no limit) and %d, got %d", MaxDatasetMaxLen, r.MaxLen)
	case r.MaxBadRows < 0:
		return r, invalidf("max_bad_rows: must be 0 (no limit) or more, got %d", r.MaxBadRows)
	case r.MaxRowMB < 0 || int64(r.MaxRowMB)<<20 > dataset.MaxRowBytesLimit:
		return r, invalidf("max_row_mb: must be between 0 (the default, %d MB) and %d, got %d", dataset.DefaultMaxRowBytes>>20, dataset.MaxRowBytesLimit>>20, r.MaxRowMB)
	}
	if r.Mapping.Format != "" {
		f, err := dataset.ParseFormat(string(r.Mapping.Format))
		if err != nil {
			return r, invalidf("mapping.format: %v", err)
		}
		r.Mapping.Format = f
	}
	for name, role := range r.Mapping.Roles {
		if _, err := dataset.ParseRoles(name + "=" + role); err != nil {
			return r, invalidf("mapping.roles: %v", err)
		}
	}
	mode, err := batch.ParseMode(string(r.TrainOn))
	if err != nil {
		return r, invalidf("train_on: %v", err)
	}
	trunc, err := dataset.ParseTruncation(string(r.Truncation))
	if err != nil {
		return r, invalidf("truncation: %v", err)
	}
	r.TrainOn, r.Truncation = mode, trunc
	return r, nil
}

// source resolves the dataset (see Deps.dataset) and the options it is
// read with: executor.ReadOptions, the function a run's plan reads its
// dataset section with, so that Inspect, Preview and Stats read the files
// training reads (dataset.ResolveFiles, through dataset.NewScanner, as
// batch.Prepare does) and skip the rows it skips.
func (s *Datasets) source(req DatasetRequest) (string, dataset.Options, error) {
	path, files, err := s.deps.dataset(req.Path)
	opts := executor.ReadOptions(req.Mapping, runconfig.Dataset{
		Split: req.Split, SkipBadRows: req.SkipBadRows, MaxBadRows: req.MaxBadRows, MaxRowMB: req.MaxRowMB})
	opts.Files = files
	return path, opts, err
}

// open resolves the dataset and the model's labeler.
func (s *Datasets) open(req DatasetRequest) (string, dataset.Options, dataset.Labeler, error) {
	path, opts, err := s.source(req)
	if err != nil {
		return "", opts, nil, err
	}
	labeler, err := s.labeler(req)
	if err != nil {
		return "", opts, nil, err
	}
	return path, opts, labeler, nil
}

// labeler builds the model's renderer and tokenizer, or nil without a model.
func (s *Datasets) labeler(req DatasetRequest) (dataset.Labeler, error) {
	if req.Model == "" {
		return nil, nil
	}
	dir, err := s.deps.modelDir(req.Model, true)
	if err != nil {
		return nil, err
	}
	return labelerForModel(dir, req.TrainOn)
}

// labelerForModel renders with the model's own chat template and tokenizes
// with its tokenizer, exactly as training will.
func labelerForModel(dir string, mode batch.Mode) (*batch.Labeler, error) {
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, err
	}
	l, terr := batch.ForTokenizer(tok, mode)
	// A model without a chat template still labels raw text; one whose
	// template does not parse is an error.
	if terr != nil && tok.Config().ChatTemplate != "" {
		return nil, fmt.Errorf("model %s: %w", dir, terr)
	}
	return l, nil
}
