//go:build !(windows || darwin)

package main

// hasDisplay reports whether an X11 or Wayland display is there to open
// the window on; without one `whetstone` serves the UI to a browser.
func hasDisplay(getenv func(string) string) bool {
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}
