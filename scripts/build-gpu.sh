#!/usr/bin/env bash
# Builds build/gpu/whetstone: the headless binary the GPU check kit
# (tools/gpu-check) carries to a GPU machine. It registers GoMLX's XLA
# backend (-tags xla) and, built without Wails' build tags, links no
# GTK/WebKit: the GPU machine has neither, and nothing can be installed there.
#
# What -tags xla needs at build time: cgo (gcc and libc headers) and nothing
# else. go-xla's pjrt package carries its own copy of pjrt_c_api.h and opens
# the plugin with dlopen (-ldl, part of glibc), so no XLA or CUDA library is
# linked; the PJRT plugin (.so) is found and loaded only at run time.
#
# The device machine takes the working tree plus the git-ignored paths named
# one by one, 64 MiB in all, so the binary is stripped (-s -w) and its size
# is checked against what is left of that budget.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need_go
cd "$ROOT"

if ! command -v gcc >/dev/null 2>&1 || ! echo '#include <stdlib.h>' | gcc -x c -fsyntax-only - 2>/dev/null; then
  need_apt gcc libc6-dev || true
fi
if ! command -v gcc >/dev/null 2>&1; then
  echo "build-gpu: cannot build the XLA backend: -tags xla needs cgo, and no C compiler (gcc) is installed" >&2
  echo "build-gpu: install one (sudo apt-get install gcc libc6-dev) and run this again" >&2
  exit 1
fi

OUTDIR="$ROOT/build/gpu"
BIN="$OUTDIR/whetstone"
mkdir -p "$OUTDIR"
echo "==> Building $BIN (-tags xla, headless, stripped)"
# A failed build must not leave an older binary to be carried by mistake.
rm -f "$BIN"
if ! CGO_ENABLED=1 go build -tags xla \
  -ldflags "-s -w -X main.version=$(cat VERSION) -X main.commit=$(build_commit)" \
  -o "$BIN" . ; then
  echo "build-gpu: go build -tags xla failed (above); the GPU kit cannot run without build/gpu/whetstone" >&2
  exit 1
fi

# No desktop libraries: only libc (and the loader) may be linked.
libs="$(ldd "$BIN" 2>&1 || true)"
if grep -Eiq 'gtk|webkit|gdk|soup|javascriptcore' <<<"$libs"; then
  echo "build-gpu: $BIN links desktop libraries, which the GPU machine lacks:" >&2
  echo "$libs" >&2
  exit 1
fi

# XLA must be registered: a .so that exists but is no plugin gets past the
# backend choice, so the error says whether XLA is compiled in.
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
: >"$probe_dir/not_a_plugin.so"
probe="$(GOMLX_BACKEND="xla:$probe_dir/not_a_plugin.so" WHETSTONE_HOME="$probe_dir/ws" \
  "$BIN" bench --config tiny --steps 1 --json --no-generate --no-tokenizer --no-dataset 2>&1 || true)"
if grep -q "not compiled into this binary" <<<"$probe"; then
  echo "build-gpu: $BIN was built without the XLA backend:" >&2
  echo "$probe" | tail -3 >&2
  exit 1
fi

# The budget: what travels to the device machine is the working tree
# (tracked and untracked, not ignored) plus the carried paths, 64 MiB.
size=$(stat -c %s "$BIN")
tree=$( { git ls-files -z; git ls-files -z -o --exclude-standard; } | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
tree=${tree:-0}
limit=$((64 * 1024 * 1024))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "    size: $(mib "$size"); working tree: $(mib "$tree"); together $(mib $((size + tree))) of the device tool's 64 MiB"
if [ $((size + tree)) -gt $limit ]; then
  echo "build-gpu: the binary and the working tree together exceed the 64 MiB the device machine takes" >&2
  exit 1
fi
echo "    links: $(awk '{print $1}' <<<"$libs" | tr '\n' ' ')"
"$BIN" version
echo "==> Done. On a GPU machine: tools/gpu-check (carry build/gpu; see README, GPU)"
