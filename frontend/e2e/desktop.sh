#!/usr/bin/env bash
# Desktop window test: starts the built binary (the Wails window) under Xvfb
# on a workspace prepared by `whetstone demo`, switches through every screen
# with the app's Alt+1..7 shortcuts (xdotool), opens the demo run's page, and
# screenshots each one. Fails if the UI never loads or a screen looks blank or
# identical to the previous one.
# Usage: frontend/e2e/desktop.sh [BINARY]   (default: build/bin/whetstone)
# Env: ARTIFACTS (default artifacts/).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="$(realpath "${1:-$ROOT/build/bin/whetstone}")"
OUT="$(realpath -m "${ARTIFACTS:-$ROOT/artifacts}")/desktop"
[ -x "$BIN" ] || { echo "desktop: no whetstone binary at $BIN" >&2; exit 1; }
for tool in Xvfb xdotool import convert; do
  command -v "$tool" >/dev/null || { echo "desktop: $tool is missing (apt-get install xvfb xdotool imagemagick)" >&2; exit 1; }
done

WORK="$(mktemp -d)"
XVFB=""; APP=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
  [ -n "$XVFB" ] && kill "$XVFB" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$OUT" && mkdir -p "$OUT"

echo "desktop: preparing the demo workspace"
"$BIN" demo --steps 12 --workspace "$WORK/ws" >"$OUT/demo.log" 2>&1 || { cat "$OUT/demo.log" >&2; exit 1; }
RUN_ID="$(ls "$WORK/ws/runs" | head -1)"

DISP=":$((100 + RANDOM % 100))"
Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${DISP#:}" ] && break; sleep 0.1; done
export DISPLAY="$DISP" WEBKIT_DISABLE_COMPOSITING_MODE=1 LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1
WHETSTONE_LOG_LEVEL=debug WHETSTONE_HOME="$WORK/ws" "$BIN" >"$OUT/app.log" 2>&1 &
APP=$!

ok=""
for _ in $(seq 120); do
  if grep -q '"op":"System.Info"' "$WORK/ws/logs/whetstone.log" 2>/dev/null; then ok=1; break; fi
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.5
done
[ -n "$ok" ] || { echo "desktop: the window never loaded the UI" >&2; cat "$OUT/app.log" >&2; exit 1; }
WIN="$(xdotool search --sync --onlyvisible --name Whetstone | head -1)"
xdotool windowactivate --sync "$WIN" 2>/dev/null || xdotool windowfocus --sync "$WIN" || true
sleep 2

prev=""
# shot waits until the screen has changed from the previous shot and is not
# blank, then keeps it: a busy machine repaints late, so the test waits on
# what the window shows, not on a fixed delay (60 tries, half a second apart).
shot() { # name
  local f="$OUT/$1.png" colors sum tries=0
  while :; do
    import -window root "$f"
    colors="$(convert "$f" -format '%k' info:)"
    sum="$(md5sum <"$f" | cut -d' ' -f1)"
    if [ "$colors" -ge 50 ] && [ "$sum" != "$prev" ]; then break; fi
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      if [ "$colors" -lt 50 ]; then echo "desktop: $1 looks blank" >&2; exit 1; fi
      echo "desktop: $1 is identical to the previous screen: the shortcut did nothing" >&2; exit 1
    fi
    sleep 0.5
  done
  # The screen changed; give the rest of it (charts, lists) a moment to
  # settle so the kept picture is the finished one.
  sleep 1
  import -window root "$f"
  echo "desktop: $f ($colors colours)"
  prev="$(md5sum <"$f" | cut -d' ' -f1)"
}

n=0
for screen in models datasets new-run runs chat export settings; do
  n=$((n + 1))
  xdotool key --window "$WIN" --clearmodifiers "alt+$n"
  shot "$n-$screen"
done

# The run page: from the Runs list, Tab to the demo run's link and open it.
xdotool key --window "$WIN" alt+4
shot "8-runs-again"
xdotool key --window "$WIN" --delay 120 Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Return
shot "9-run-$RUN_ID"
echo "desktop: screenshots in $OUT"
