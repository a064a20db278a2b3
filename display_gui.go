//go:build windows || darwin

package main

// hasDisplay: Windows and macOS always have a desktop to open the window
// on (there is no DISPLAY to ask).
func hasDisplay(getenv func(string) string) bool { return true }
