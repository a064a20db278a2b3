#!/usr/bin/env bash
# The main job: install what is missing, build Whetstone, show a real
# fine-tuning run end to end on the offline demo, then open the UI (the
# desktop window with a display, otherwise `serve` with the URL printed).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need_apt "${DESKTOP_DEPS[@]}"
need_go
need_node
echo "==> Building the desktop binary (frontend + Go, GOEXPERIMENT=simd)"
build_frontend
build_desktop
BIN="$ROOT/build/bin/whetstone"
echo "==> Running the offline demo: a tiny Gemma 3 model fine-tuned on a built-in chat dataset"
"$BIN" demo "$@"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "==> Opening the Whetstone window"
  exec "$BIN" "$@"
fi
echo "==> No display: serving the UI. Open the URL below in a browser (Ctrl-C stops)."
exec "$BIN" serve "$@"
