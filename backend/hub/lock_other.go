//go:build !unix

package hub

import "context"

// lockFile is a no-op where flock is unavailable: downloads are still
// serialised inside the process, and blobs are only ever renamed into place
// complete, so a concurrent process can at worst repeat a download.
func lockFile(ctx context.Context, path string) (func(), error) { return func() {}, nil }
