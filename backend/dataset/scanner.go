package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Options controls how a file is read.
type Options struct {
	// Mapping overrides detection: any non-empty field wins. Set Format to
	// skip detection entirely.
	Mapping Mapping
	// SkipBadRows skips rows with a row-level problem (invalid JSON line,
	// unknown role, empty conversation, wrong value type) and counts them,
	// instead of stopping at the first.
	SkipBadRows bool
	// MaxBadRows stops with ErrTooManyBadRows once more rows than this were
	// skipped (0: no limit). A mostly-broken file usually means a wrong
	// mapping rather than a few bad rows.
	MaxBadRows int
	// SampleRows is how many rows detection looks at (default 200).
	SampleRows int
	// Split picks the files of a folder (see DataFiles) or of Files;
	// ignored for a single file.
	Split string
	// Files, when set, are the data files to read (e.g. what a hub
	// download returned); the path given alongside only names them.
	Files []string `json:"-"`
	// MaxRowBytes bounds the size of one row (0: DefaultMaxRowBytes; at
	// most MaxRowBytesLimit). A larger row is an ErrRowTooLarge row
	// error, skipped and counted with SkipBadRows. Left out of JSON when
	// 0, so token caches keyed on these options stay valid.
	MaxRowBytes int64 `json:",omitempty"`
}

// ResolveFiles lists the files NewScanner reads for path and opts (see
// DataFiles for the bounds of a folder scan).
func ResolveFiles(ctx context.Context, path string, opts Options) ([]string, error) {
	if len(opts.Files) > 0 {
		return SplitFiles("", opts.Files, opts.Split)
	}
	return DataFiles(ctx, path, opts.Split)
}

// maxKeptProblems bounds the problems kept for reporting; the count is exact.
const maxKeptProblems = 100

type pending struct {
	rec Record
	err error
}

// Scanner streams the standardized conversations of one file.
type Scanner struct {
	// ctx is the caller's, checked before every row: a scanner is an
	// iterator over a long operation, and its Next takes no context.
	ctx      context.Context
	path     string
	files    []string
	src      Source
	det      Detection
	mapping  Mapping
	std      *standardizer
	opts     Options
	buf      []pending
	rows     int // rows seen (good and bad)
	skipped  int
	problems []*Error
	// unknownRoles counts the skipped rows' unknown role names.
	unknownRoles map[string]int
}

// NewScanner opens path, detects its format from the first rows (unless
// opts.Mapping.Format is set), checks the mapping's columns exist, and
// returns a scanner positioned at the first row.
//
// path may be a folder (a dataset downloaded from the hub): its data files
// of opts.Split are read in name order as one dataset. The scanner stops
// with ctx's error once ctx ends, at the next row.
func NewScanner(ctx context.Context, path string, opts Options) (*Scanner, error) {
	files, err := ResolveFiles(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	return NewScannerFiles(ctx, path, files, opts)
}

// NewScannerFiles reads files, in order, as one dataset called name (a hub
// id, a folder); opts.Split is not applied (see SplitFiles).
func NewScannerFiles(ctx context.Context, name string, files []string, opts Options) (*Scanner, error) {
	if len(files) == 0 {
		return nil, &Error{File: name, Kind: ErrEmptyDataset, Msg: "no data files"}
	}
	limit, err := opts.rowLimit()
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	path := name
	var src Source
	if len(files) == 1 {
		src, err = Open(files[0], limit)
	} else {
		src, err = openMulti(files, limit)
	}
	if err != nil {
		return nil, err
	}
	if len(files) == 1 {
		path = files[0] // name the file itself in messages
	}
	s := &Scanner{ctx: ctx, path: path, src: src, opts: opts, files: files}
	if err := s.prepare(); err != nil {
		src.Close()
		return nil, err
	}
	return s, nil
}

func (s *Scanner) prepare() error {
	n := s.opts.SampleRows
	if n <= 0 {
		n = 200
	}
	var sample []Record
	for len(s.buf) < n {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		rec, err := s.src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if e, ok := AsError(err); ok && e.rowScoped() {
				s.buf = append(s.buf, pending{err: err})
				continue
			}
			return err
		}
		s.buf = append(s.buf, pending{rec: rec})
		sample = append(sample, rec)
	}
	if len(s.buf) == 0 {
		return &Error{File: s.path, Kind: ErrEmptyDataset, Msg: "the file has no rows"}
	}
	if len(sample) == 0 {
		return s.buf[0].err // every sampled row was bad: the first says why
	}
	m := s.opts.Mapping
	if m.Format != "" {
		base := defaultMapping(m.Format)
		if det, err := Detect(s.path, s.src.Columns(), sample); err == nil && det.Mapping.Format == m.Format {
			base = det.Mapping
		}
		s.mapping = base.Override(m)
		s.det = Detection{Mapping: s.mapping, Confidence: 1, Reason: fmt.Sprintf("%s, as chosen by the user", formatTitle(m.Format))}
	} else {
		det, err := Detect(s.path, s.src.Columns(), sample)
		if err != nil {
			return err
		}
		s.mapping = det.Mapping.Override(m)
		det.Mapping = s.mapping
		s.det = det
	}
	if err := s.checkColumns(sample); err != nil {
		return err
	}
	s.det.Roles = sampleRoles(sample, s.mapping)
	s.std = newStandardizer(s.path, s.mapping)
	return nil
}

func (s *Scanner) checkColumns(sample []Record) error {
	cols := columnSet(s.src.Columns(), sample)
	for _, c := range s.mapping.requiredColumns() {
		if c == "" {
			return &Error{File: s.path, Kind: ErrMissingColumn, Msg: fmt.Sprintf("the %s mapping names no column; set it by hand", formatTitle(s.mapping.Format))}
		}
		if _, ok := cols[c]; ok {
			continue
		}
		e := &Error{File: s.path, Field: c, Kind: ErrMissingColumn, Msg: fmt.Sprintf(
			"column %s not found; the file's columns are %s; %s", quoteCapped(c), quoteList(sortedKeys(cols)), needs(s.mapping.Format))}
		if ft, _ := FileTypeOf(s.path); ft == FileCSV {
			e.Line = 1
		}
		return e
	}
	return nil
}

func needs(f Format) string {
	switch f {
	case FormatAlpaca:
		return "Alpaca needs instruction and output columns (input is optional); map them by hand if they are named differently"
	case FormatShareGPT, FormatOpenAI:
		return "name the column that holds the list of turns"
	case FormatText:
		return "name the column that holds the text"
	case FormatPreference:
		return "preference pairs need the chosen and rejected answers' columns, and the prompt's unless the answers are whole conversations; map them by hand (chosen: <column>, rejected: <column>, prompt: <column>)"
	}
	return ""
}

// Detection is how the file was read: the format, the mapping in force
// (detected, then overridden) and the reason.
func (s *Scanner) Detection() Detection { return s.det }

// Mapping is the mapping in force.
func (s *Scanner) Mapping() Mapping { return s.mapping }

// Path is the file being read (or the folder, for several files).
func (s *Scanner) Path() string { return s.path }

// Files lists the data files read, in order.
func (s *Scanner) Files() []string { return s.files }

// Next returns the next good conversation, io.EOF after the last one, or
// the first problem (bad rows are skipped and counted when allowed).
func (s *Scanner) Next() (Conversation, error) {
	for {
		if err := s.ctx.Err(); err != nil {
			return Conversation{}, err
		}
		var rec Record
		var err error
		if len(s.buf) > 0 {
			rec, err = s.buf[0].rec, s.buf[0].err
			s.buf = s.buf[1:]
		} else {
			rec, err = s.src.Next()
		}
		if err == io.EOF {
			return Conversation{}, io.EOF
		}
		if err == nil {
			s.rows++
			var c Conversation
			if c, err = s.std.Standardize(rec); err == nil {
				return c, nil
			}
		} else if e, ok := AsError(err); ok && e.rowScoped() {
			s.rows++
		}
		if skipErr := s.skip(err); skipErr != nil {
			return Conversation{}, skipErr
		}
	}
}

// skip records a skippable problem, or returns the error that must stop
// the scan.
func (s *Scanner) skip(err error) error {
	e, ok := AsError(err)
	if !ok || !s.opts.SkipBadRows || !e.rowScoped() {
		return err
	}
	s.skipped++
	if len(s.problems) < maxKeptProblems {
		s.problems = append(s.problems, e)
	}
	if name := e.UnknownRole(); name != "" {
		if s.unknownRoles == nil {
			s.unknownRoles = map[string]int{}
		}
		countRole(s.unknownRoles, name)
	}
	if s.opts.MaxBadRows > 0 && s.skipped > s.opts.MaxBadRows {
		return &Error{File: s.path, Kind: ErrTooManyBadRows, Msg: fmt.Sprintf(
			"%d bad rows skipped, more than the allowed %d; the first was: %v", s.skipped, s.opts.MaxBadRows, s.problems[0])}
	}
	return nil
}

// Rows is the number of rows read so far, good and bad.
func (s *Scanner) Rows() int { return s.rows }

// Skipped is the number of bad rows skipped so far.
func (s *Scanner) Skipped() int { return s.skipped }

// Problems returns the first skipped rows' errors (at most
// MaxListedBadRows).
func (s *Scanner) Problems() []*Error { return s.problems }

// UnknownRoles counts the unknown role names of the rows skipped so far,
// by name (at most MaxListedRoles names): the names to map.
func (s *Scanner) UnknownRoles() map[string]int { return s.unknownRoles }

// Close releases the file.
func (s *Scanner) Close() error { return s.src.Close() }

// Loaded is a whole file read into memory.
type Loaded struct {
	Path          string
	Detection     Detection
	Conversations []Conversation
	Rows          int
	Skipped       int
	Problems      []*Error
}

// Load reads every conversation of a file. Use a Scanner to stream a file
// too large to hold.
func Load(ctx context.Context, path string, opts Options) (*Loaded, error) {
	s, err := NewScanner(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	out := &Loaded{Path: path, Detection: s.Detection()}
	for {
		c, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		out.Conversations = append(out.Conversations, c)
	}
	out.Rows, out.Skipped, out.Problems = s.Rows(), s.Skipped(), s.Problems()
	if len(out.Conversations) == 0 {
		return nil, &Error{File: path, Kind: ErrEmptyDataset, Msg: fmt.Sprintf("no usable rows (%d read, %d skipped)", out.Rows, out.Skipped)}
	}
	return out, nil
}
