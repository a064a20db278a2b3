//go:build !windows

package accel

// xlaUnavailable says why XLA cannot run in this build, "" where it can
// (whether it is compiled in is asked separately: -tags xla).
const xlaUnavailable = ""
