//go:build ignore

// Writes openapi.json, the REST API's OpenAPI document, from the route
// table and the Go types: go generate ./backend/restapi.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/restapi"
)

func main() {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err == nil {
		var doc []byte
		if doc, err = restapi.Document(root, restapi.Describe()); err == nil {
			err = os.WriteFile("openapi.json", append(doc, '\n'), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
