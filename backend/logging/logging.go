// Package logging sets up Whetstone's structured logs: JSON lines to a file
// in the workspace, and to the console either pretty (on a terminal) or as
// JSON (when piped, so log collectors can parse it).
package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
)

// Options configure New.
type Options struct {
	// Dir receives whetstone.log; empty disables the file.
	Dir string
	// Console receives human or JSON logs; nil disables the console.
	Console io.Writer
	// Pretty selects the human console format.
	Pretty bool
	// Level is the minimum level ("debug", "info", "warn", "error").
	Level string
}

// New returns a logger and a function that closes its file.
func New(opts Options) (zerolog.Logger, func() error, error) {
	level := zerolog.InfoLevel
	if opts.Level != "" {
		l, err := zerolog.ParseLevel(opts.Level)
		if err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("log level %q: %w", opts.Level, err)
		}
		level = l
	}
	var writers []io.Writer
	closeFn := func() error { return nil }
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("create log folder: %w", err)
		}
		path := filepath.Join(opts.Dir, "whetstone.log")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("open log file %s: %w", path, err)
		}
		writers = append(writers, f)
		closeFn = f.Close
	}
	if opts.Console != nil {
		if opts.Pretty {
			writers = append(writers, zerolog.ConsoleWriter{Out: opts.Console, TimeFormat: time.TimeOnly})
		} else {
			writers = append(writers, opts.Console)
		}
	}
	logger := zerolog.New(zerolog.MultiLevelWriter(writers...)).Level(level).With().Timestamp().Logger()
	return logger, closeFn, nil
}

// IsTerminal reports whether f is a character device (a terminal), which
// decides between pretty and JSON console logs.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}
