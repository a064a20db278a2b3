#!/usr/bin/env bash
# Checks the Windows build on this Linux machine: `go vet` of every package
# for windows/amd64, the console executable cross-built with Wails (as
# scripts/release.sh builds it: WebView2, pure-Go backend, no cgo, no XLA),
# then, under Debian's wine, `whetstone-cli.exe version` (the stamped
# version), `demo --steps 3` and `bench --config tiny`.
#
# The window itself is not opened: wine has no WebView2. Debian 12's wine
# (8.0) also lacks bcryptprimitives.dll, whose ProcessPrng every Go 1.22+
# Windows program calls at start-up ("fatal error: bcryptprimitives.dll not
# found"); the check compiles a stand-in for this wine prefix only (ProcessPrng
# over advapi32's RtlGenRandom, with mingw-w64). Windows itself has the real one.
#
# Uses build/bin/whetstone-cli.exe when WHETSTONE_EXE names it (e.g. from
# scripts/release.sh); otherwise builds it (frontend/dist must be built).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
need_apt wine64 wine gcc-mingw-w64-x86-64
need_go
VERSION="$(cat VERSION)"
T="$(mktemp -d)"
trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
fail() { echo "release-check-windows: FAIL: $*" >&2; exit 1; }

echo "==> [${SECONDS}s] go vet, GOOS=windows GOARCH=amd64, every package"
GOOS=windows GOARCH=amd64 go vet ./...

EXE="${WHETSTONE_EXE:-}"
if [ -z "$EXE" ]; then
  echo "==> [${SECONDS}s] Cross-building whetstone-cli.exe (wails, windows/amd64)"
  [ -f frontend/dist/index.html ] || fail "frontend/dist is not built (build_frontend)"
  go tool wails build -skipbindings -s -platform windows/amd64 -windowsconsole \
    -ldflags "-X main.version=$VERSION -X main.commit=$(build_commit)" -o whetstone-cli.exe >"$T/wails.log" 2>&1 ||
    { cat "$T/wails.log"; fail "wails build for windows/amd64"; }
  EXE="$ROOT/build/bin/whetstone-cli.exe"
fi

echo "==> [${SECONDS}s] A wine prefix, with a stand-in bcryptprimitives.dll"
export WINEPREFIX="$T/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineboot -i >/dev/null 2>&1 || true
cat >"$T/prng.c" <<'EOF'
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036
/* ProcessPrng, as Windows 10+ exports it from bcryptprimitives.dll. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!RtlGenRandom(data, n)) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
EOF
printf 'LIBRARY bcryptprimitives\nEXPORTS\n  ProcessPrng\n' >"$T/prng.def"
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" "$T/prng.c" "$T/prng.def" -ladvapi32

win() { timeout 600 wine "$EXE" "$@"; }
echo "==> [${SECONDS}s] wine whetstone-cli.exe version"
line="$(win version | tr -d '\r')"
echo "$line"
[[ "$line" == "whetstone $VERSION "*"windows/amd64)" ]] || fail "version printed \"$line\""
echo "==> [${SECONDS}s] wine whetstone-cli.exe demo --steps 3"
win demo --steps 3 --workspace 'C:\ws' >"$T/demo.log" 2>&1 || { cat "$T/demo.log"; fail "demo"; }
grep -q "^done: 3 steps" "$T/demo.log" || { cat "$T/demo.log"; fail "the demo did not train 3 steps"; }
grep "^done:" "$T/demo.log"
echo "==> [${SECONDS}s] wine whetstone-cli.exe bench --config tiny"
win bench --config tiny >"$T/bench.log" 2>&1 || { cat "$T/bench.log"; fail "bench"; }
grep -E "^ +(config|tiny) " "$T/bench.log"
echo "==> [${SECONDS}s] Windows check passed"
