// Package frontend holds the built Svelte UI so one Go binary carries it: the
// Wails window and `whetstone serve` both read it from here.
//
// dist/ is produced by `npm run build`; a committed dist/.gitkeep keeps the
// embed pattern valid (and `go vet ./...` green) on a fresh clone before the
// first build.
package frontend

import (
	"embed"
	"fmt"
	"io/fs"
)

// Dist is the build output directory, rooted at the package directory.
//
//go:embed all:dist
var Dist embed.FS

// Assets returns the built UI with index.html at its root. It fails with a
// clear message when the frontend was never built, rather than serving an
// empty site.
func Assets() (fs.FS, error) {
	sub, err := fs.Sub(Dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("frontend dist: %w", err)
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil, fmt.Errorf("frontend not built (dist/index.html missing): run `npm ci && npm run build` in frontend/: %w", err)
	}
	return sub, nil
}
