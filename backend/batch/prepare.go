package batch

import (
	"context"
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// Config is everything that turns a dataset file into train and
// validation examples.
type Config struct {
	Path    string
	Dataset dataset.Options

	Encoder  Encoder
	Template Template // nil for raw-text datasets
	Mode     Mode
	EOS      int // appended to raw-text rows; -1 for none

	// TokenizerHash and TemplateSource identify Encoder and Template for
	// the cache (see HashFiles); leave CacheDir empty to disable caching.
	TokenizerHash  string
	TemplateSource string
	CacheDir       string

	Tokenize TokenizeOptions
	Split    SplitOptions
}

// Prepared is a dataset ready for Batches.
type Prepared struct {
	Detection  dataset.Detection
	Report     Report
	Train      []Example
	Validation []Example
	// SkippedRows and RowProblems are the unreadable rows skipped while
	// reading (when allowed), on top of Report's drops.
	SkippedRows int
	RowProblems []string
	CacheHit    bool
	CacheKey    string
}

// ReadInfo is how the file was read; it travels with the cached tokens
// so a cache hit reports the same as a fresh run.
type ReadInfo struct {
	Detection   dataset.Detection `json:"detection"`
	SkippedRows int               `json:"skipped_rows"`
	RowProblems []string          `json:"row_problems,omitempty"`
}

// Prepare reads, standardizes and tokenizes the file (or loads the
// result from the cache), then splits it. The same Config and file give
// the same examples in the same order. Every step (folder scan, hashing,
// reading, tokenizing) stops with ctx's error once ctx ends.
func Prepare(ctx context.Context, cfg Config) (*Prepared, error) {
	if cfg.Encoder == nil {
		return nil, fmt.Errorf("prepare %s: no tokenizer", cfg.Path)
	}
	labeler := NewLabeler(cfg.Encoder, cfg.Template, cfg.Mode, cfg.EOS)
	out := &Prepared{}
	var cache Cache
	if cfg.CacheDir != "" {
		files, err := dataset.ResolveFiles(ctx, cfg.Path, cfg.Dataset)
		if err != nil {
			return nil, err
		}
		dsHash, err := hashFiles(ctx, files...)
		if err != nil {
			return nil, err
		}
		key, err := Fingerprint{Dataset: dsHash, Tokenizer: cfg.TokenizerHash, Template: cfg.TemplateSource,
			Settings: map[string]any{"dataset": cfg.Dataset, "mode": labeler.mode, "eos": cfg.EOS,
				"max_len": cfg.Tokenize.MaxLen, "truncation": cfg.Tokenize.Truncation, "skip_bad_rows": cfg.Tokenize.SkipBadRows}}.Key()
		if err != nil {
			return nil, err
		}
		cache, out.CacheKey = Cache{Dir: cfg.CacheDir}, key
	}
	var tok *Tokenized
	if out.CacheKey != "" {
		if t, ok := cache.Load(out.CacheKey); ok {
			tok, out.CacheHit = t, true
		}
	}
	if tok == nil {
		s, err := dataset.NewScanner(ctx, cfg.Path, cfg.Dataset)
		if err != nil {
			return nil, err
		}
		tok, err = Tokenize(ctx, s, labeler, cfg.Tokenize)
		rows, skipped, problems := s.Rows(), s.Skipped(), s.Problems()
		det := s.Detection()
		s.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Path, err)
		}
		tok.Report.Rows = rows
		meta := ReadInfo{Detection: det, SkippedRows: skipped}
		for _, p := range problems {
			meta.RowProblems = append(meta.RowProblems, p.Error())
		}
		tok.Report.Meta = &meta
		if out.CacheKey != "" {
			if err := cache.Store(out.CacheKey, tok); err != nil {
				return nil, err
			}
		}
	}
	if m := tok.Report.Meta; m != nil {
		out.Detection, out.SkippedRows, out.RowProblems = m.Detection, m.SkippedRows, m.RowProblems
	}
	out.Report = tok.Report
	train, val := tok.Examples, []Example(nil)
	if cfg.Split.Count > 0 || cfg.Split.Fraction > 0 {
		var err error
		if train, val, err = Split(tok.Examples, cfg.Split); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Path, err)
		}
	}
	out.Train, out.Validation = train, val
	return out, nil
}
