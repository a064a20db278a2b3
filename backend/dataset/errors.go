package dataset

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Kinds of dataset problems. Every *Error wraps exactly one of them, so
// callers (the UI, tests) can tell "unknown role" from "invalid JSON" with
// errors.Is while users read the full message.
var (
	ErrUnreadable        = errors.New("unreadable file")
	ErrTruncated         = errors.New("truncated or corrupt parquet file")
	ErrInvalidJSON       = errors.New("invalid JSON")
	ErrNotArray          = errors.New("top level is not an array")
	ErrMissingColumn     = errors.New("missing column")
	ErrWrongType         = errors.New("wrong type")
	ErrUnknownRole       = errors.New("unknown role")
	ErrEmptyConversation = errors.New("empty conversation")
	ErrUnknownFormat     = errors.New("unknown dataset format")
	ErrUnsupportedFile   = errors.New("unsupported file type")
	ErrEmptyDataset      = errors.New("dataset has no rows")
	ErrTooManyBadRows    = errors.New("too many bad rows")
	// ErrMissingValue marks a null or absent field inside a row (a turn
	// without its content, an Alpaca row without an instruction).
	ErrMissingValue = errors.New("missing value")
	// ErrRowTooLarge marks a row bigger than Options.MaxRowBytes: one such
	// row could otherwise take all the memory there is.
	ErrRowTooLarge = errors.New("row too large")
	// ErrInvalidUTF8 marks text that is not UTF-8 (a file saved as Latin-1
	// or Windows-1252, or binary data in a text column).
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrDuplicateKey marks a JSON object that names the same key twice:
	// readers disagree on which value wins, so neither is taken silently.
	ErrDuplicateKey = errors.New("duplicate JSON key")
	// ErrFolderTooLarge marks a folder too big or too deep to scan for
	// data files (a home folder given by mistake).
	ErrFolderTooLarge = errors.New("folder too large to scan")
	// ErrBadPair marks a preference row that cannot teach a preference:
	// its prompt does not end with the user's turn, an answer holds a
	// turn that is not the assistant's, or the two answers are the same.
	ErrBadPair = errors.New("bad preference pair")
)

// Error is a problem with a dataset file, located as precisely as the file
// format allows: the file always, the row (1-based data row) and the text
// line when known, and the field path inside the row such as
// "conversations[1].from".
type Error struct {
	File  string
	Row   int // 1-based data row; 0 when the problem is not tied to a row
	Line  int // 1-based text line (jsonl, csv); 0 when unknown
	Field string
	Kind  error  // one of the Err* kinds above
	Msg   string // what is wrong and, where possible, how to fix it
	// role is the dataset's role name an ErrUnknownRole is about, kept
	// apart from Msg so a scan can list the names to map.
	role string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(filepath.Base(e.File))
	switch {
	case e.Line > 0 && e.Row > 0 && e.Line != e.Row:
		fmt.Fprintf(&b, ": line %d (row %d)", e.Line, e.Row)
	case e.Line > 0:
		fmt.Fprintf(&b, ": line %d", e.Line)
	case e.Row > 0:
		fmt.Fprintf(&b, ": row %d", e.Row)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", capText(e.Field)) // a path of user-chosen names
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

// rowScoped reports whether skipping the row is a sensible reaction: a bad
// row can be skipped, a bad file or a bad column cannot.
func (e *Error) rowScoped() bool {
	if e.Row <= 0 {
		return false
	}
	switch e.Kind {
	case ErrInvalidJSON, ErrWrongType, ErrUnknownRole, ErrEmptyConversation, ErrMissingValue,
		ErrRowTooLarge, ErrInvalidUTF8, ErrDuplicateKey, ErrBadPair:
		return true
	}
	return false
}

// AsError extracts a *Error from err, if there is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
