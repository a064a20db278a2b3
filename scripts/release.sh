#!/usr/bin/env bash
# Builds a release into dist/: what people download and install.
#
#   scripts/release.sh VERSION     from a clean checkout whose VERSION file
#                                  says VERSION: builds everything below
#   scripts/release.sh --quick     CI (scripts/release-check.sh): packages the
#                                  build/bin/whetstone already built, as it
#                                  is; Linux only, no build, light compression
#
# dist/ then holds (V = the version):
#   whetstone-V-linux-amd64             the desktop binary (window + pure-Go
#                                       and XLA backends), stripped, stamped
#   whetstone_V_amd64.deb               Debian, Ubuntu (package version V-1)
#   whetstone-V-1.x86_64.rpm            Fedora, openSUSE, RHEL
#   whetstone-V-linux-amd64.tar.gz      any Linux: install.sh into ~/.local
#   whetstone-V-windows-amd64.zip       Windows: whetstone.exe (the window,
#                                       WebView2) and whetstone-cli.exe
#   whetstone-V-windows-amd64-installer.exe  the same, as an NSIS installer
#   SHA256SUMS                          sha256sum -c SHA256SUMS checks them
#
# The packages are built by tools/package (nFPM as a Go library); every
# file time is the commit's time (SOURCE_DATE_EPOCH).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

# A release compresses hard (xz, gzip -9); the quick check saves ~40 s of
# CPU with light compression, which changes nothing it checks.
QUICK="" COMPRESSION=xz GZIP_LEVEL=9
case "${1:-}" in
  --quick) QUICK=1 COMPRESSION=gzip GZIP_LEVEL=1 ;;
  "" | -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ]; exit ;;
  -*) echo "release.sh: unknown option $1" >&2; exit 2 ;;
esac
VERSION="$(cat VERSION)"
DIST="${DIST:-$ROOT/dist}"

if [ -z "$QUICK" ]; then
  if [ "$1" != "$VERSION" ]; then
    echo "release.sh: asked for $1 but the VERSION file says $VERSION; change VERSION (and wails.json's productVersion), commit, then release" >&2
    exit 1
  fi
  if [ -n "$(git status --porcelain)" ]; then
    echo "release.sh: the tree has uncommitted changes; a release is built from a clean checkout:" >&2
    git status --short >&2
    exit 1
  fi
  product="$(sed -n 's/.*"productVersion": *"\([^"]*\)".*/\1/p' wails.json)"
  if [ "$product" != "$VERSION" ]; then
    echo "release.sh: wails.json's productVersion is $product, VERSION is $VERSION (Windows shows the former); make them agree" >&2
    exit 1
  fi
fi

need_apt "${DESKTOP_DEPS[@]}" dpkg-dev zip
need_go
COMMIT="$(build_commit)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
rm -rf "$DIST" && mkdir -p "$DIST"

# deb_depends prints the .deb's Depends for a binary, as dpkg-shlibdeps
# computes them from the libraries it links (GTK, WebKitGTK, glibc...).
deb_depends() {
  mkdir -p "$WORK/shlibs/debian"
  printf 'Source: whetstone\n\nPackage: whetstone\nArchitecture: amd64\n' >"$WORK/shlibs/debian/control"
  (cd "$WORK/shlibs" && dpkg-shlibdeps -O -e "$1" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# package_linux builds the .deb, .rpm and tarball of a linux binary.
package_linux() {
  local bin="$1" name="whetstone-$VERSION-linux-amd64" deps
  deps="$(deb_depends "$bin")"
  [ -n "$deps" ] || { echo "release.sh: dpkg-shlibdeps found no dependencies for $bin" >&2; exit 1; }
  echo "==> Packages (.deb depends on: $deps)"
  go -C "$ROOT/tools/package" build -o "$WORK/package" .
  "$WORK/package" -root "$ROOT" -bin "$bin" -version "$VERSION" -commit "$COMMIT" \
    -stage "$WORK/$name" -out "$DIST" -deb-depends "$deps" -compression "$COMPRESSION"
  cp build/linux/install.sh "$WORK/$name/install.sh"
  touch -d "@$SOURCE_DATE_EPOCH" "$WORK/$name/install.sh" "$WORK/$name"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -C "$WORK" -cf - "$name" |
    gzip "-${GZIP_LEVEL}n" >"$DIST/$name.tar.gz"
}

if [ -n "$QUICK" ]; then
  [ -x build/bin/whetstone ] || { echo "release.sh --quick: build/bin/whetstone is missing; build it first (build_desktop)" >&2; exit 1; }
  # The commit the binary was stamped with, not the tree's now.
  COMMIT="$(build/bin/whetstone version | sed -n 's/.*(commit \([^)]*\)).*/\1/p')"
  package_linux "$ROOT/build/bin/whetstone"
else
  need_node
  echo "==> Linux desktop binary (frontend + Go, -tags xla)"
  build_frontend
  build_desktop
  cp build/bin/whetstone "$DIST/whetstone-$VERSION-linux-amd64"
  package_linux "$ROOT/build/bin/whetstone"

  echo "==> Windows: whetstone.exe (window, WebView2), whetstone-cli.exe (terminal); pure-Go backend, no cgo, no XLA"
  need_apt nsis
  win_ldflags="-X main.version=$VERSION -X main.commit=$COMMIT"
  rm -f build/bin/whetstone.exe build/bin/whetstone-cli.exe build/bin/README.txt build/bin/*-installer.exe
  # The console build first: the installer (made with the window build,
  # by build/windows/installer/project.nsi) ships it and the read-me too.
  go tool wails build -skipbindings -s -platform windows/amd64 -windowsconsole -ldflags "$win_ldflags" -o whetstone-cli.exe
  sed "s/@VERSION@/$VERSION/g" build/windows/README.txt | sed 's/$/\r/' >build/bin/README.txt
  go tool wails build -skipbindings -s -platform windows/amd64 -nsis -ldflags "$win_ldflags" -o whetstone.exe
  name="whetstone-$VERSION-windows-amd64"
  mkdir -p "$WORK/$name"
  cp build/bin/whetstone.exe build/bin/whetstone-cli.exe build/bin/README.txt "$WORK/$name/"
  find "$WORK/$name" -exec touch -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$WORK" && TZ=UTC zip -q -X -9 -r "$DIST/$name.zip" "$name")
  cp build/bin/Whetstone-amd64-installer.exe "$DIST/$name-installer.exe"
fi

(cd "$DIST" && sha256sum -- * >SHA256SUMS)
echo "==> Release $VERSION (commit ${COMMIT:-unknown}) in $DIST:"
(cd "$DIST" && ls -l --block-size=K -- *)
