#!/usr/bin/env bash
# Starts the desktop binary in a virtual X display, waits until the Svelte UI
# has loaded and called the Go side through the Wails bindings, and saves a
# screenshot. Fails if the window never shows the UI.
# Usage: scripts/desktop-screenshot.sh BINARY OUT.png
set -euo pipefail
BIN="$1"; OUT="$2"
WORK="$(mktemp -d)"
DISP=":$((90 + RANDOM % 9))"
Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
cleanup() { kill "$APP" 2>/dev/null || true; kill "$XVFB" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${DISP#:}" ] && break; sleep 0.1; done

export DISPLAY="$DISP" WEBKIT_DISABLE_COMPOSITING_MODE=1 LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1
WHETSTONE_LOG_LEVEL=debug WHETSTONE_HOME="$WORK/ws" "$BIN" >"$WORK/app.log" 2>&1 &
APP=$!
# The frontend calls System.Info on load; the service logs it.
ok=""
for _ in $(seq 120); do
  if grep -q '"op":"System.Info"' "$WORK/ws/logs/whetstone.log" 2>/dev/null; then ok=1; break; fi
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$ok" ]; then
  echo "The desktop window did not load the UI. App log:" >&2
  cat "$WORK/app.log" >&2
  exit 1
fi
sleep 3 # let the first screen render its data
import -window root "$OUT"
colors=$(convert "$OUT" -format '%k' info:)
echo "Desktop screenshot: $OUT ($colors colours)"
if [ "$colors" -lt 50 ]; then
  echo "The screenshot looks blank ($colors colours)" >&2
  exit 1
fi
