#!/usr/bin/env bash
# Every test: installs its prerequisites, then Go vet and tests, frontend unit
# tests and type checks, the desktop build, the Linux packages installed and
# removed, the Windows build under wine, every screen of the desktop window
# under Xvfb, and the browser end-to-end test against `whetstone serve`.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need_apt "${DESKTOP_DEPS[@]}" xvfb xdotool chromium imagemagick
need_go
need_node
cd "$ROOT"
ARTIFACTS="${ARTIFACTS:-$ROOT/artifacts}"
mkdir -p "$ARTIFACTS"

echo "==> Frontend: install, unit tests, type checks, build"
(cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm test && npm run check && npm run build)

echo "==> llama.cpp for the GGUF interop tests (node-llama-cpp's prebuilt binaries)"
# npm ci rejects this lockfile: node-llama-cpp lists optional per-platform
# packages the registry resolves only for the current OS. npm install keeps
# the locked versions; --ignore-scripts skips its build-from-source hook.
(cd tools/llamacpp-check && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)

echo "==> llama.cpp's own llama-bench, built from the same release, for whetstone bench --llama-cpp's test"
if ! tools/llamacpp-check/build-llama-bench.sh >/dev/null 2>"$ARTIFACTS/llama-bench-build.log"; then
  tail -40 "$ARTIFACTS/llama-bench-build.log" >&2
  exit 1
fi

echo "==> GPU check kit, CPU mode: the headless XLA build, tools/gpu-check --cpu --quick, every section of its JSON filled"
scripts/build-gpu.sh
tools/gpu-check --cpu --quick --out "$ARTIFACTS/gpu-check"
python3 tools/gpucheck/verify.py "$ARTIFACTS/gpu-check/gpu-check.json"

echo "==> Go: vet and tests"
go vet ./...
# The patched GoMLX go backend is a module of its own (go.mod's replace):
# the tests its patches added (third_party/gomlx-compute/PATCHES.md).
(cd third_party/gomlx-compute && go test -count=1 -run 'TestAVX512|TestGemv|TestBroadcastMiddle|TestConvertDTypeOfBarrier|TestLargeBalancedRHSPanels|TestWithBalancedRHSPanels|TestVectorGraphs|TestGatherFromConvertDType|TestWhereTrailingBlocks|TestBufferAllocSize|TestExactBuffersAreReused|Spinners' ./internal/gobackend/ ./internal/gobackend/ops/ ./internal/gobackend/dot/ ./internal/gobackend/dot/matmul/ ./internal/gobackend/dot/matmul/avx512/ ./internal/gobackend/workerspool/)
WHETSTONE_REQUIRE_TORCH=1 go test -count=1 -timeout 25m ./...

echo "==> Desktop build (wails)"
build_desktop

echo "==> Release packages: .deb, .rpm and tarball of this build; install, run, remove (scripts/release-check.sh)"
scripts/release-check.sh

echo "==> Windows: go vet for windows/amd64, the cross-built executable under wine (scripts/release-check-windows.sh)"
scripts/release-check-windows.sh

echo "==> Desktop window under Xvfb: every screen, screenshots"
ARTIFACTS="$ARTIFACTS" frontend/e2e/desktop.sh "$ROOT/build/bin/whetstone"

if [ -x frontend/e2e/run.sh ]; then
  echo "==> Browser end-to-end test (headless Chromium against whetstone serve)"
  ARTIFACTS="$ARTIFACTS" frontend/e2e/run.sh "$ROOT/build/bin/whetstone"
fi
echo "==> All tests passed"
