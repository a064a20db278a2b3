# Sourced by the other scripts: the Go toolchain and flags every build uses.
# GOEXPERIMENT=simd turns on GoMLX's AVX2/AVX-512 kernels (about 25x faster
# matrix products on CPU); a plain `go build` without it still works, slower.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GOTOOLCHAIN="go1.27.4"
export GOEXPERIMENT="simd"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# need_go installs a Go that can fetch the pinned toolchain when none is
# present: the toolchain comes from the Go module proxy, like any module.
need_go() {
  if command -v go >/dev/null 2>&1 && go version >/dev/null 2>&1; then return; fi
  local dir="$HOME/.local/share/whetstone-go"
  if [ ! -x "$dir/go/bin/go" ]; then
    echo "==> Installing Go 1.27.4 from the Go module proxy into $dir"
    local zip; zip="$(mktemp --suffix .zip)"
    curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.27.4.linux-amd64.zip"
    mkdir -p "$dir" && rm -rf "$dir/go" && (cd "$dir" && unzip -q "$zip" && mv golang.org/toolchain@v0.0.1-go1.27.4.linux-amd64 go && rm -rf golang.org)
    chmod +x "$dir"/go/bin/* "$dir"/go/pkg/tool/*/* 2>/dev/null || true
    rm -f "$zip"
  fi
  export PATH="$dir/go/bin:$PATH"
}

# need_apt installs the Debian packages that are missing.
need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> Installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# need_node checks for Node.js 20+ (Vite 7 needs it), installing Debian's if absent.
need_node() {
  if ! command -v node >/dev/null 2>&1; then need_apt nodejs npm; fi
  local major; major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "Node.js $major found; Whetstone's frontend build needs Node.js 20 or newer." >&2
    exit 1
  fi
}

# desktop_deps are what `wails build` links against on Linux.
DESKTOP_DEPS=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.0-dev curl unzip ca-certificates)

# build_frontend installs the npm packages (from the lockfile) and builds dist/.
build_frontend() {
  (cd "$ROOT/frontend" && npm ci --no-audit --no-fund --loglevel=error && npm run build)
}

# build_commit is the commit a build is made from ("-dirty" when tracked
# files differ from it; empty outside a git checkout).
build_commit() {
  local c; c="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null)" || return 0
  git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || c="$c-dirty"
  echo "$c"
}

# build_desktop builds build/bin/whetstone with the native window and the XLA
# backend registered (-tags xla: PJRT plugins for GPUs, loaded only when the
# user names one in Settings or GOMLX_BACKEND), its version and commit
# stamped (`whetstone version`).
build_desktop() {
  (cd "$ROOT" && go tool wails build -skipbindings -s -tags xla -ldflags "-X main.version=$(cat VERSION) -X main.commit=$(build_commit)" -o whetstone)
}
