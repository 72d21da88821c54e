#!/usr/bin/env bash
# Prints the PRODUCT.md performance figures. Not a test: nothing here fails on a number.
#   agenda:    `calendarbot agenda --ics FEED --format jsonl` over a year against python
#              icalendar + recurring-ical-events on the same file, whole processes, this run
#   engine:    parse MB/s and expansion occurrences/s on a generated 10 MB feed
#   refresh:   parse + expand + write of that feed from a local server, peak memory
#   reminders: lateness p50/p99/max of many reminders
#   app:       start to populated tray, anonymous memory tray-only, idle wake-ups/min
set -euo pipefail
cd "$(dirname "$0")/.."
feed=target/bench/feed-10500.ics
mkdir -p target/bench
[ -f "$feed" ] || python3 ../shared/tools/gen_ics.py 10500 "$feed" >/dev/null
echo "== agenda (whole process, same feed, same window; target: >= 50x the Python stack)"
cargo build -q --release
bin=${CARGO_TARGET_DIR:-target}/release/calendarbot
target/pyenv/bin/python - "$bin" "$feed" <<'PY'
import subprocess, sys, time
bin, feed = sys.argv[1], sys.argv[2]
window = ["2025-06-01", "2026-06-01"]
def best(cmd, runs):
    times, lines = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, check=True)
        times.append(time.perf_counter() - t)
        lines = p.stdout.count(b"\n")
    return min(times), lines
ours, n_ours = best([bin, "agenda", "--ics", feed, "--from", window[0], "--to", window[1],
                     "--tz", "UTC", "--format", "jsonl"], 5)
py, n_py = best([sys.executable, "scripts/bench_python_agenda.py", feed] + window, 1)
print(f"calendarbot agenda: {ours * 1e3:.0f} ms, {n_ours} occurrences (best of 5)")
print(f"python icalendar + recurring-ical-events: {py * 1e3:.0f} ms, {n_py} occurrences")
print(f"ratio: {py / ours:.1f}x {'OK' if py / ours >= 50 else 'BELOW TARGET (50x)'}")
PY
echo "== engine";    cargo run -q --release -p calendarbot-core --example bench_engine -- "$feed"
echo "== refresh";   cargo run -q --release -p calendarbot-core --example bench_refresh -- "$feed"
echo "== reminders"; cargo run -q --release -p calendarbot-core --example bench_reminders -- 1000 60
echo "== app";       cargo build -q --release
NO_AT_BRIDGE=1 CALENDARBOT_BIN=$PWD/target/release/calendarbot xvfb-run -a -s '-screen 0 1280x800x24' \
  dbus-run-session -- python3 scripts/bench_app.py
