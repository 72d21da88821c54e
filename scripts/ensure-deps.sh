#!/usr/bin/env bash
# Installs what building, running and testing CalendarBot needs on Debian 12, and
# nothing when it is already there (one dpkg query, no network).
#   scripts/ensure-deps.sh build   - libraries to build and run the app
#   scripts/ensure-deps.sh test    - plus the headless desktop used by the end-to-end tests
#   scripts/ensure-deps.sh deb     - plus what the .deb bundler needs (and the tauri CLI from npm)
set -euo pipefail
cd "$(dirname "$0")/.."

build=(libwebkit2gtk-4.1-dev build-essential pkg-config)
test=(xvfb xauth dbus-daemon dbus-x11 dunst webkit2gtk-driver imagemagick xdotool libglib2.0-bin libayatana-appindicator3-1 python3 python3-venv openssl faketime
      radicale xandikos   # the CalDAV servers the caldav_* tests start on 127.0.0.1
      openbox tint2 x11-utils)  # a window manager and a panel for the on-top window and tray shots (xprop)
deb=(libayatana-appindicator3-dev file)

want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test[@]}") ;;
  deb) want+=("${test[@]}" "${deb[@]}") ;;
  *) echo "usage: $0 build|test|deb" >&2; exit 2 ;;
esac
# npm (for the UI's type checker and the bundler) from Debian, unless a node is there.
if [ "${1:-build}" != build ] && ! command -v npm >/dev/null; then
  want+=(nodejs npm)
fi

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust from https://rustup.rs first" >&2
  exit 1
fi

# The UI's type checker, pinned in package.json (make check runs it).
tsc_pin=$(sed -n 's/.*"typescript": *"\([^"]*\)".*/\1/p' package.json)
if [ "${1:-build}" != build ] && [ "$(node_modules/.bin/tsc --version 2>/dev/null)" != "Version $tsc_pin" ]; then
  npm install --no-save --no-audit --no-fund "typescript@$tsc_pin" >/dev/null
fi
if [ "${1:-}" = deb ] && [ ! -x node_modules/.bin/tauri ]; then
  npm install --no-save --no-audit --no-fund @tauri-apps/cli@2 >/dev/null
fi
