#!/bin/sh
# Installs Whetstone from this folder into your home, without root:
# ~/.local/bin/whetstone, its desktop entry, icons and man page.
#
#   ./install.sh              install, or upgrade an earlier install
#   ./install.sh --uninstall  remove exactly the files it installed
#
# PREFIX=DIR installs under DIR instead of ~/.local. The uninstaller stays
# in PREFIX/lib/whetstone/install.sh, so this folder may be deleted. Your
# workspace (runs, settings, exports: ~/.local/share/whetstone by default)
# is never touched, by installing, upgrading or uninstalling.
set -eu

HERE="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${PREFIX:-$HOME/.local}"
LIB="lib/whetstone"
DESKTOP="share/applications/whetstone.desktop"

# packaged lists the files of this folder that install under PREFIX (the
# desktop entry is written separately: its Exec line gets the full path).
packaged() {
  (cd "$HERE" && find bin share -type f ! -path "$DESKTOP" | LC_ALL=C sort)
}

refresh() {
  # Menus and icon caches pick the change up; both optional.
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$PREFIX/share/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$PREFIX/share/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" 2>/dev/null || true
  fi
}

# put copies $1 to PREFIX/$2 with mode $3, by rename, so a running
# whetstone keeps its old file.
put() {
  mkdir -p "$(dirname "$PREFIX/$2")"
  cp "$1" "$PREFIX/$2.new" && chmod "$3" "$PREFIX/$2.new" && mv -f "$PREFIX/$2.new" "$PREFIX/$2"
}

install_all() {
  [ -f "$HERE/bin/whetstone" ] || { echo "install.sh: run the install.sh of the unpacked release folder" >&2; exit 1; }
  # An earlier install's files that this release no longer has go first.
  if [ -f "$PREFIX/$LIB/MANIFEST" ]; then
    packaged >"${TMPDIR:-/tmp}/whetstone-manifest.$$"
    grep -vxF -f "${TMPDIR:-/tmp}/whetstone-manifest.$$" "$PREFIX/$LIB/MANIFEST" | grep -v "^$LIB/" | grep -vxF "$DESKTOP" |
      while IFS= read -r f; do rm -f "$PREFIX/$f"; done || true
    rm -f "${TMPDIR:-/tmp}/whetstone-manifest.$$"
  fi
  packaged | while IFS= read -r f; do
    mode=644
    [ "$f" = bin/whetstone ] && mode=755
    put "$HERE/$f" "$f" "$mode"
  done
  mkdir -p "$PREFIX/share/applications"
  sed "s|^Exec=whetstone|Exec=$PREFIX/bin/whetstone|" "$HERE/$DESKTOP" >"$PREFIX/$DESKTOP.new"
  chmod 644 "$PREFIX/$DESKTOP.new" && mv -f "$PREFIX/$DESKTOP.new" "$PREFIX/$DESKTOP"
  put "$HERE/install.sh" "$LIB/install.sh" 755
  { packaged; echo "$DESKTOP"; echo "$LIB/install.sh"; echo "$LIB/MANIFEST"; } >"$PREFIX/$LIB/MANIFEST"
  refresh
  if v="$("$PREFIX/bin/whetstone" version 2>/dev/null)"; then
    echo "Installed $v in $PREFIX."
  else
    echo "Installed whetstone in $PREFIX, but it does not start: it needs GTK 3 and WebKitGTK 4.0."
    echo "  Debian, Ubuntu: sudo apt install libgtk-3-0 libwebkit2gtk-4.0-37"
    echo "  Fedora:         sudo dnf install gtk3 webkit2gtk4.0"
  fi
  case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) echo "Add $PREFIX/bin to your PATH to run 'whetstone' in a terminal; the menu entry works already." ;;
  esac
  echo "Uninstall with: $PREFIX/$LIB/install.sh --uninstall"
}

uninstall() {
  manifest="$PREFIX/$LIB/MANIFEST"
  if [ ! -f "$manifest" ]; then
    echo "install.sh: no Whetstone installed in $PREFIX (no $manifest)" >&2
    exit 1
  fi
  # Read it whole first: it is one of the files removed.
  list="$(cat "$manifest")"
  echo "$list" | while IFS= read -r f; do
    [ -n "$f" ] || continue
    case "$f" in /* | *..*) continue ;; esac
    rm -f "$PREFIX/$f"
    # Folders this left empty go too, never one holding anything else.
    d="$(dirname "$PREFIX/$f")"
    while [ "$(dirname "$d")" != "$PREFIX" ] && rmdir "$d" 2>/dev/null; do d="$(dirname "$d")"; done
  done
  refresh
  echo "Whetstone removed from $PREFIX. Your workspace (runs, settings, exports) is kept."
}

case "${1:-}" in
  "" | --install) install_all ;;
  --uninstall) uninstall ;;
  -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
