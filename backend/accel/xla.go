//go:build xla

package accel

// Building with -tags xla registers GoMLX's XLA backend (PJRT plugins,
// loaded through cgo) next to the pure-Go one. We import the backend itself,
// never go-xla's autoinstall package, which downloads plugins at start-up:
// a plugin is used only when the user names its .so file.
import _ "github.com/gomlx/go-xla/compute/xla"
