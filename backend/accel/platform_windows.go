//go:build windows

package accel

// xlaUnavailable says why XLA cannot run in this build, "" where it can.
// XLA's PJRT plugins are Linux shared libraries loaded through cgo, and the
// Windows build has no cgo: it trains on the pure-Go backend.
const xlaUnavailable = "XLA is unavailable on Windows (its PJRT plugins are Linux libraries); Whetstone trains on the pure-Go backend (CPU)"
