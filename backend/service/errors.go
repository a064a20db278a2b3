package service

import (
	"errors"
	"fmt"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// ErrInvalidRequest marks an error in what the caller asked for (an
// unknown format, two things named where one is wanted, a quantization the
// format does not take), as opposed to the state of the world (a missing
// file, a failed download). A terminal command reports it as a usage error.
var ErrInvalidRequest = errors.New("invalid request")

// requestError is an invalid request, its message unchanged.
type requestError struct{ err error }

func (e requestError) Error() string   { return e.err.Error() }
func (e requestError) Unwrap() []error { return []error{ErrInvalidRequest, e.err} }

// invalid marks err as an invalid request (nil stays nil).
func invalid(err error) error {
	if err == nil {
		return nil
	}
	return requestError{err}
}

func invalidf(format string, args ...any) error { return invalid(fmt.Errorf(format, args...)) }

// ConfigError is a run config that cannot start, with every problem, each
// naming its field, as Runs.Validate lists them. errors.Is sees the causes
// (os.ErrNotExist, pathpolicy.ErrOutside, safefile.ErrNotOwned...) and
// errors.As a *runconfig.ValidationError when the config's own values are
// wrong (not only what it names on disk).
type ConfigError struct {
	Fields []runconfig.FieldError `json:"fields"`
	causes []error
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid run config: " + strings.Join(parts, "; ")
}

func (e *ConfigError) Unwrap() []error { return e.causes }

// add records a problem of field, with the error that caused it.
func (e *ConfigError) add(field string, cause error) {
	e.Fields = append(e.Fields, runconfig.FieldError{Field: field, Message: cause.Error()})
	e.causes = append(e.causes, cause)
}
