package dataset

import (
	"fmt"
	"unicode/utf8"
)

// Row size limits. A dataset row is read whole before it is standardized,
// so one 100 MB row costs 100 MB (and several times that once decoded and
// tokenized): the limit turns a file that would exhaust memory into an
// error naming the row. Chat rows are kilobytes; 16 MiB leaves room for
// long documents while keeping a handful of parallel workers well under a
// gigabyte.
const (
	// DefaultMaxRowBytes applies when Options.MaxRowBytes is 0.
	DefaultMaxRowBytes int64 = 16 << 20
	// MaxRowBytesLimit is the largest MaxRowBytes accepted: past it a
	// single row no longer fits a sensible memory budget, whatever the
	// machine.
	MaxRowBytesLimit int64 = 1 << 30
)

// rowLimitHelp tells a person how to raise the limit, wherever they met it.
const rowLimitHelp = "raise it with --max-row-mb, or max_row_mb in the dataset settings"

// rowLimit is the row size limit in force, or an error for a setting out
// of range.
func (o Options) rowLimit() (int64, error) {
	switch {
	case o.MaxRowBytes == 0:
		return DefaultMaxRowBytes, nil
	case o.MaxRowBytes < 0:
		return 0, fmt.Errorf("maximum row size %d bytes: must be positive (0 means the default, %s)", o.MaxRowBytes, formatMB(DefaultMaxRowBytes))
	case o.MaxRowBytes > MaxRowBytesLimit:
		return 0, fmt.Errorf("maximum row size %s is over the hard limit of %s", formatMB(o.MaxRowBytes), formatMB(MaxRowBytesLimit))
	}
	return o.MaxRowBytes, nil
}

// rowTooLarge is the error for a row of size bytes over limit. row and
// line locate it as the reader knows them (line 0 for binary formats).
func rowTooLarge(file string, row, line int, size, limit int64) *Error {
	return &Error{File: file, Row: row, Line: line, Kind: ErrRowTooLarge, Msg: fmt.Sprintf(
		"row %d is %s, over the %s limit (%s)", row, formatMB(size), formatMB(limit), rowLimitHelp)}
}

// formatMB writes a byte count in megabytes (2^20 bytes, the unit of
// --max-row-mb), exact when it is a whole number; under a megabyte (a
// limit set in bytes) in bytes.
func formatMB(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d B", n)
	}
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// invalidUTF8At returns the offset of the first byte of s that does not
// start a valid UTF-8 sequence, or -1 when s is valid.
func invalidUTF8At(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// invalidUTF8AtBytes is invalidUTF8At for bytes (raw JSON), without copying them.
func invalidUTF8AtBytes(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// utf8Problem describes invalid UTF-8 found at offset at of where (e.g.
// "the line", "the cell") for a person who has to fix the file.
func utf8Problem(at int, b byte, where string) string {
	return fmt.Sprintf("at byte %d of %s (0x%02X): the file is not UTF-8 text (saved as Latin-1 or Windows-1252?); re-save it as UTF-8", at+1, where, b)
}
