#!/usr/bin/env bash
# Installs the .deb built by `make deb` (apt resolves its Depends), runs the tray and
# window end-to-end tests on the installed /usr/bin/calendarbot, then removes the package.
# Needs root or sudo; not part of `make test`, which never installs the app system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls -1t "${CARGO_TARGET_DIR:-target}"/release/bundle/deb/*.deb | head -1)
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing $deb" >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "./$deb" >/dev/null
trap 'DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -qq calendar-bot >/dev/null' EXIT
# Both binaries (the command starts the app beside it), the menu entry and the icon.
for file in 'bin/calendarbot$' 'bin/calendarbot-app$' '\.desktop$' 'hicolor/128x128/apps/calendarbot.png$'; do
  dpkg -L calendar-bot | grep -E "$file" || { echo "the package has no $file" >&2; exit 1; }
done
desktop-file-validate /usr/share/applications/CalendarBot.desktop 2>/dev/null || true
CALENDARBOT_BIN=/usr/bin/calendarbot scripts/e2e.sh tray_menu open_creates ctrl_w join_next reminder_arrives
