package model

import (
	"fmt"
	"runtime/debug"
)

// catch converts a panic raised while building or running a GoMLX graph (the
// library reports most errors that way) into an error wrapped with what was
// being done. Use as: defer catch(&err, "forward").
func catch(err *error, what string) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(error); ok {
		*err = fmt.Errorf("model: %s: %w", what, e)
	} else {
		*err = fmt.Errorf("model: %s: %v", what, r)
	}
	if debugPanics {
		*err = fmt.Errorf("%w\n%s", *err, debug.Stack())
	}
}

// debugPanics appends stack traces to recovered panics; flip it while
// debugging graph construction.
const debugPanics = false
