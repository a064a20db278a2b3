#!/usr/bin/env bash
# Checks the Linux release packages the way a user meets them, from the
# build/bin/whetstone already built (scripts/test.sh runs it after the
# desktop build; `scripts/release.sh --quick` packages, nothing is rebuilt):
#   - lintian finds no error in the .deb (its warnings are printed);
#   - the .rpm holds the same files and requires GTK and WebKitGTK;
#   - `dpkg -i` installs it: /usr/bin/whetstone prints the stamped version and
#     runs the offline demo, desktop-file-validate passes on the installed
#     entry, the man page renders without warnings, the icons have their sizes;
#   - installing again (an upgrade) and `dpkg -r` remove every file the package
#     installed and leave a workspace byte-identical;
#   - the tarball's install.sh installs into ~/.local and --uninstall removes
#     exactly that, leaving the workspace there;
#   - SHA256SUMS matches.
# Needs root or sudo (dpkg -i). Refuses to run where whetstone is already
# installed with dpkg, which it would replace and remove.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
need_apt dpkg-dev lintian desktop-file-utils rpm man-db file
need_go
VERSION="$(cat VERSION)"

if dpkg-query -W -f='${Status}' whetstone 2>/dev/null | grep -q "ok installed"; then
  echo "release-check: a whetstone package is installed on this machine; this check installs and removes its own. Remove it first (sudo dpkg -r whetstone)." >&2
  exit 1
fi

T="$(mktemp -d)"
cleanup() {
  if dpkg-query -W -f='${Status}' whetstone 2>/dev/null | grep -q "ok installed"; then $SUDO dpkg -r whetstone >/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "release-check: FAIL: $*" >&2; exit 1; }

echo "==> [${SECONDS}s] tools/package: tests"
go -C tools/package test -count=1 ./...

export DIST="$T/dist"
scripts/release.sh --quick
DEB="$DIST/whetstone_${VERSION}_amd64.deb"
RPM="$DIST/whetstone-$VERSION-1.x86_64.rpm"
TGZ="$DIST/whetstone-$VERSION-linux-amd64.tar.gz"
(cd "$DIST" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match"

SIZES="16 22 24 32 48 64 128 256 512"
EXPECTED="$T/expected"
{
  echo /usr/bin/whetstone
  echo /usr/share/applications/whetstone.desktop
  echo /usr/share/doc/whetstone/copyright
  for s in $SIZES; do echo "/usr/share/icons/hicolor/${s}x$s/apps/whetstone.png"; done
  echo /usr/share/man/man1/whetstone.1.gz
} | LC_ALL=C sort >"$EXPECTED"

echo "==> [${SECONDS}s] lintian (errors fail, warnings are printed)"
rc=0
out="$(lintian --fail-on error "$DEB" 2>&1)" || rc=$?
grep -v "running with root privileges" <<<"$out" || echo "(no tags)"
[ "$rc" = 0 ] || fail "lintian reports errors"

echo "==> [${SECONDS}s] .deb and .rpm contents and dependencies"
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}' | grep -v -e changelog.Debian.gz -e /usr/share/lintian/ |
  LC_ALL=C sort | diff -u "$EXPECTED" - || fail "the .deb's files differ from the list above"
rpm -qpl "$RPM" 2>/dev/null | LC_ALL=C sort | diff -u "$EXPECTED" - || fail "the .rpm's files differ from the list above"
depends="$(dpkg-deb -f "$DEB" Depends)"
for p in libgtk-3-0 libwebkit2gtk-4.0-37 libc6; do
  [[ ", $depends," == *", $p "* || ", $depends," == *", $p,"* ]] || fail ".deb Depends ($depends) lacks $p"
done
requires="$(rpm -qpR "$RPM" 2>/dev/null)"
for r in 'libgtk-3.so.0()(64bit)' 'libwebkit2gtk-4.0.so.37()(64bit)'; do
  grep -qxF "$r" <<<"$requires" || fail ".rpm Requires lacks $r: $requires"
done
echo ".deb Depends: $depends"
ls -l --block-size=K "$DIST"

echo "==> [${SECONDS}s] dpkg -i, the installed binary, desktop entry, man page and icons"
# Paths of the package that exist before it is installed (folders like
# /usr/share/icons/hicolor) must still exist after it is removed; the rest not.
dpkg-deb -c "$DEB" | awk '{sub(/^\./, "", $6); sub(/\/$/, "", $6); print $6}' | grep -v '^$' >"$T/paths"
while read -r p; do if [ -e "$p" ]; then echo "$p"; fi; done <"$T/paths" >"$T/existed"
$SUDO dpkg -i "$DEB" >/dev/null
line="$(/usr/bin/whetstone version)"
echo "$line"
[[ "$line" == "whetstone $VERSION "* ]] || fail "/usr/bin/whetstone version printed \"$line\", not version $VERSION"
mkdir -p "$T/home"
HOME="$T/home" /usr/bin/whetstone demo --steps 2 --workspace "$T/ws" >"$T/demo.log" 2>&1 || { cat "$T/demo.log"; fail "whetstone demo failed"; }
tail -n 3 "$T/demo.log"
desktop-file-validate /usr/share/applications/whetstone.desktop || fail "desktop-file-validate"
warnings="$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l /usr/share/man/man1/whetstone.1.gz 2>&1 >/dev/null)"
[ -z "$warnings" ] || fail "man page warnings: $warnings"
for s in $SIZES; do
  file "/usr/share/icons/hicolor/${s}x$s/apps/whetstone.png" | grep -q "PNG image data, $s x $s," || fail "icon ${s}x$s"
done

echo "==> [${SECONDS}s] Upgrade (install again) and dpkg -r keep the workspace; dpkg -r removes every installed file"
(cd "$T/ws" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$T/ws.sum"
[ -s "$T/ws.sum" ] || fail "the demo left no workspace"
$SUDO dpkg -i "$DEB" >/dev/null
dpkg -L whetstone >"$T/installed"
$SUDO dpkg -r whetstone >/dev/null
left=""
while read -r p; do
  if [ "$p" != /. ] && [ -e "$p" ] && ! grep -qxF "$p" "$T/existed"; then left="$left $p"; fi
done <"$T/installed"
[ -z "$left" ] || fail "dpkg -r left:$left"
(cd "$T/ws" && sha256sum --quiet -c "$T/ws.sum") || fail "the workspace changed"
echo "removed $(wc -l <"$T/installed") paths; the workspace's $(wc -l <"$T/ws.sum") files are unchanged"

echo "==> [${SECONDS}s] Tarball: install.sh into ~/.local, --uninstall"
mkdir -p "$T/tgz" "$T/home2/.local/share/whetstone"
echo '{"theme": "dark"}' >"$T/home2/.local/share/whetstone/settings.json"
tar -xzf "$TGZ" -C "$T/tgz"
HOME="$T/home2" "$T/tgz/whetstone-$VERSION-linux-amd64/install.sh"
[[ "$("$T/home2/.local/bin/whetstone" version)" == "whetstone $VERSION "* ]] || fail "the tarball's whetstone"
grep -qxF "Exec=$T/home2/.local/bin/whetstone" "$T/home2/.local/share/applications/whetstone.desktop" || fail "the installed desktop entry's Exec"
desktop-file-validate "$T/home2/.local/share/applications/whetstone.desktop" || fail "desktop-file-validate (tarball)"
rm -rf "$T/tgz" # the uninstaller installed in ~/.local/lib/whetstone needs no unpacked folder
HOME="$T/home2" "$T/home2/.local/lib/whetstone/install.sh" --uninstall
# update-desktop-database's cache is the system's, not the package's.
left="$(cd "$T/home2/.local" && find . -type f ! -path './share/whetstone/*' ! -name mimeinfo.cache ! -name icon-theme.cache)"
[ -z "$left" ] || fail "install.sh --uninstall left: $left"
[ "$(cat "$T/home2/.local/share/whetstone/settings.json")" = '{"theme": "dark"}' ] || fail "install.sh touched the workspace"
echo "==> [${SECONDS}s] Release packages check passed"
