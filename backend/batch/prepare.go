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
	// ValPath, when set, is a separate validation set: read with
	// ValDataset (the same mapping and row options as Dataset, with its
	// own Files and Split), labeled and tokenized exactly as Path is, and
	// cached the same way. Split is then not applied: every example of
	// Path is a training example.
	ValPath    string
	ValDataset dataset.Options

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

// Source is how one dataset file (or folder) was read and tokenized.
type Source struct {
	Path      string
	Detection dataset.Detection
	Report    Report
	// SkippedRows and RowProblems are the unreadable rows skipped while
	// reading (when allowed), on top of Report's drops.
	SkippedRows int
	RowProblems []string
	CacheHit    bool
	CacheKey    string
}

// Prepared is a dataset ready for Batches. Its Source is the training
// file's.
type Prepared struct {
	Source
	Train      []Example
	Validation []Example
	// Val is the validation file's Source when Config.ValPath is set.
	Val *Source
}

// ReadInfo is how the file was read; it travels with the cached tokens
// so a cache hit reports the same as a fresh run.
type ReadInfo struct {
	Detection   dataset.Detection `json:"detection"`
	SkippedRows int               `json:"skipped_rows"`
	RowProblems []string          `json:"row_problems,omitempty"`
}

// Prepare reads, standardizes and tokenizes the file (or loads the
// result from the cache), then splits it, or, with ValPath, prepares the
// validation file the same way instead of splitting. The same Config and
// files give the same examples in the same order. Every step (folder
// scan, hashing, reading, tokenizing) stops with ctx's error once ctx
// ends.
func Prepare(ctx context.Context, cfg Config) (*Prepared, error) {
	if cfg.Encoder == nil {
		return nil, fmt.Errorf("prepare %s: no tokenizer", cfg.Path)
	}
	labeler := NewLabeler(cfg.Encoder, cfg.Template, cfg.Mode, cfg.EOS)
	src, tok, err := prepareFile(ctx, cfg, labeler, cfg.Path, cfg.Dataset)
	if err != nil {
		return nil, err
	}
	out := &Prepared{Source: src, Train: tok.Examples}
	if cfg.ValPath != "" {
		vsrc, vtok, err := prepareFile(ctx, cfg, labeler, cfg.ValPath, cfg.ValDataset)
		if err != nil {
			return nil, fmt.Errorf("validation set: %w", err)
		}
		out.Val, out.Validation = &vsrc, vtok.Examples
		return out, nil
	}
	if cfg.Split.Count > 0 || cfg.Split.Fraction > 0 {
		if out.Train, out.Validation, err = Split(tok.Examples, cfg.Split); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Path, err)
		}
	}
	return out, nil
}

// prepareFile reads and tokenizes one file, or loads its tokens from the
// cache.
func prepareFile(ctx context.Context, cfg Config, labeler *Labeler, path string, opts dataset.Options) (Source, *Tokenized, error) {
	out := Source{Path: path}
	var cache Cache
	if cfg.CacheDir != "" {
		files, err := dataset.ResolveFiles(ctx, path, opts)
		if err != nil {
			return out, nil, err
		}
		dsHash, err := hashFiles(ctx, files...)
		if err != nil {
			return out, nil, err
		}
		key, err := Fingerprint{Dataset: dsHash, Tokenizer: cfg.TokenizerHash, Template: cfg.TemplateSource,
			Settings: map[string]any{"dataset": opts, "mode": labeler.mode, "eos": cfg.EOS,
				"max_len": cfg.Tokenize.MaxLen, "truncation": cfg.Tokenize.Truncation, "skip_bad_rows": cfg.Tokenize.SkipBadRows,
				"split_long": cfg.Tokenize.SplitLong}}.Key()
		if err != nil {
			return out, nil, err
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
		s, err := dataset.NewScanner(ctx, path, opts)
		if err != nil {
			return out, nil, err
		}
		tok, err = Tokenize(ctx, s, labeler, cfg.Tokenize)
		rows, skipped, problems := s.Rows(), s.Skipped(), s.Problems()
		det := s.Detection()
		s.Close()
		if err != nil {
			return out, nil, fmt.Errorf("%s: %w", path, err)
		}
		tok.Report.Rows = rows
		meta := ReadInfo{Detection: det, SkippedRows: skipped}
		for _, p := range problems {
			meta.RowProblems = append(meta.RowProblems, p.Error())
		}
		tok.Report.Meta = &meta
		if out.CacheKey != "" {
			if err := cache.Store(out.CacheKey, tok); err != nil {
				return out, nil, err
			}
		}
	}
	if m := tok.Report.Meta; m != nil {
		out.Detection, out.SkippedRows, out.RowProblems = m.Detection, m.SkippedRows, m.RowProblems
	}
	out.Report = tok.Report
	return out, tok, nil
}
