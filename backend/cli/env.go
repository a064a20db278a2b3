package cli

import "os"

// getenv is e.Getenv, or os.Getenv when the caller left it unset, so a
// command run with a partly filled Env still reads the real environment
// instead of panicking.
func (e *Env) getenv() func(string) string {
	if e.Getenv == nil {
		return os.Getenv
	}
	return e.Getenv
}
