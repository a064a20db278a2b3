//go:build ignore

// Writes openapi.json, the REST API's OpenAPI document, from the route
// table and the Go types: go generate ./backend/restapi (and
// ./backend/service, whose types the document describes). Paths are found
// from this file's own location, so it runs from any folder.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/whetstone-ai/whetstone/backend/restapi"
)

func main() {
	_, self, _, ok := runtime.Caller(0)
	err := errors.New("cannot locate gen.go")
	if ok {
		here := filepath.Dir(self)
		var doc []byte
		if doc, err = restapi.Document(filepath.Join(here, "..", ".."), restapi.Describe()); err == nil {
			err = os.WriteFile(filepath.Join(here, "openapi.json"), append(doc, '\n'), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
