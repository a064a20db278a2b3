// Package logging sets up Whetstone's structured logs: JSON lines to a file
// in the workspace, rotated by size, and to the console either pretty (on a
// terminal) or as JSON (when piped, so log collectors can parse it). No line
// is longer than MaxLineBytes, whatever a request put in it.
package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/natefinch/lumberjack.v2"
)

// FileName is the log file in the log folder.
const FileName = "whetstone.log"

// MaxFileMB is the size at which the log file is rotated, and KeepFiles
// how many rotated files are kept.
const (
	MaxFileMB = 20
	KeepFiles = 5
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
		path := filepath.Join(opts.Dir, FileName)
		// Rotation is lumberjack's: a well-kept library that renames the
		// full file aside and prunes the oldest, so a busy server cannot
		// fill the disk with its log.
		f := &lumberjack.Logger{Filename: path, MaxSize: MaxFileMB, MaxBackups: KeepFiles}
		// Open now, so a log folder that cannot be written is reported at
		// start rather than silently dropping every line.
		if _, err := f.Write(nil); err != nil {
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
	logger := zerolog.New(lineCap{zerolog.MultiLevelWriter(writers...)}).Level(level).With().Timestamp().Logger()
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
