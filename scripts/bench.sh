#!/usr/bin/env bash
# Prints the PRODUCT.md performance figures. Not a test: nothing here fails on a number.
#   engine:    parse MB/s and expansion occurrences/s on a generated 10 MB feed
#   refresh:   parse + expand + write of that feed from a local server, peak memory
#   reminders: lateness p50/p99/max of many reminders
#   app:       start to populated tray, anonymous memory tray-only, idle wake-ups/min
set -euo pipefail
cd "$(dirname "$0")/.."
feed=target/bench/feed-10500.ics
mkdir -p target/bench
[ -f "$feed" ] || python3 ../shared/tools/gen_ics.py 10500 "$feed" >/dev/null
echo "== engine";    cargo run -q --release -p calendarbot-core --example bench_engine -- "$feed"
echo "== refresh";   cargo run -q --release -p calendarbot-core --example bench_refresh -- "$feed"
echo "== reminders"; cargo run -q --release -p calendarbot-core --example bench_reminders -- 1000 60
echo "== app";       cargo build -q --release
NO_AT_BRIDGE=1 CALENDARBOT_BIN=$PWD/target/release/calendarbot xvfb-run -a -s '-screen 0 1280x800x24' \
  dbus-run-session -- python3 scripts/bench_app.py
