#!/usr/bin/env bash
# Prints the PRODUCT.md performance figures. Not a test: nothing here fails on a number.
#   agenda:    `calendarbot agenda --ics FEED --format jsonl` over a year against python
#              icalendar + recurring-ical-events on the same file, whole processes, this run;
#              with the ratio and the engine's parse MB/s on that feed
#   engine:    parse MB/s and expansion occurrences/s on a generated 10 MB feed
#   refresh:   parse + expand + write of that feed from a local server, peak memory
#   reminders: lateness p50/p99/max of many reminders
#   app:       start to populated tray, anonymous memory tray-only, idle wake-ups/min
#
#   scripts/bench.sh            everything (the app part needs Xvfb and a session bus)
#   scripts/bench.sh agenda     only the comparison with the Python stack
#
# Environment: CARGO_TARGET_DIR (as cargo; default target), PYENV (the reference venv,
# default $CARGO_TARGET_DIR/pyenv, made by `make bench`), GEN_ICS (the feed generator,
# default ../shared/tools/gen_ics.py), BENCH_RUNS (runs of ours, best taken; default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
only=${1:-all}
target=${CARGO_TARGET_DIR:-target}
pyenv=${PYENV:-$target/pyenv}
gen=${GEN_ICS:-../shared/tools/gen_ics.py}
feed=$target/bench/feed-10500.ics
mkdir -p "$target/bench"
[ -f "$feed" ] || python3 "$gen" 10500 "$feed" >/dev/null
[ -x "$pyenv/bin/python" ] || { echo "no reference venv at $pyenv: run 'make bench'" >&2; exit 2; }

echo "== agenda (whole process, same feed, same window; target: >= 50x the Python stack)"
cargo build -q --release --bin calendarbot
cargo build -q --release -p calendarbot-core --example bench_engine
bin=$target/release/calendarbot
"$pyenv/bin/python" - "$bin" "$feed" "$target/release/examples/bench_engine" "${BENCH_RUNS:-10}" <<'PY'
import os, subprocess, sys, time
bin, feed, engine, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
window = ["2025-06-01", "2026-06-01"]
# Both write to a file, not to a pipe this script would have to drain: reading 28 MB
# through Python here cost the measured process about 50 ms of waiting.
out_path = os.path.join(os.path.dirname(feed), "agenda-out.jsonl")
def best(cmd, runs):
    times = []
    for _ in range(runs):
        with open(out_path, "wb") as out:
            t = time.perf_counter()
            subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
    with open(out_path, "rb") as out:
        return min(times), out.read()
ours, out_ours = best([bin, "agenda", "--ics", feed, "--from", window[0], "--to", window[1],
                       "--tz", "UTC", "--format", "jsonl"], runs)
py, out_py = best([sys.executable, "scripts/bench_python_agenda.py", feed] + window, 1)
mb = os.path.getsize(feed) / 1e6
n_ours, n_py = out_ours.count(b"\n"), out_py.count(b"\n")
# The engine's parse throughput on the same feed (bench_engine's first line, best of 5).
parse = subprocess.run([engine, feed, "--parse-only"], stdout=subprocess.PIPE, check=True,
                       text=True).stdout.strip().splitlines()
print(f"feed: {feed}, {mb:.2f} MB; window {window[0]} .. {window[1]}, --tz UTC")
print(f"calendarbot agenda: {ours * 1e3:.0f} ms, {n_ours} occurrences, "
      f"{len(out_ours) / 1e6:.1f} MB of jsonl (best of {runs})")
print(f"python icalendar + recurring-ical-events: {py * 1e3:.0f} ms, {n_py} occurrences")
ratio = py / ours
print(f"ratio: {ratio:.1f}x {'OK' if ratio >= 50 else 'BELOW TARGET (50x)'}")
for line in parse[:1]:
    print(f"engine {line}")
PY
[ "$only" = agenda ] && exit 0
echo "== engine";    cargo run -q --release -p calendarbot-core --example bench_engine -- "$feed"
echo "== refresh";   cargo run -q --release -p calendarbot-core --example bench_refresh -- "$feed"
echo "== reminders"; cargo run -q --release -p calendarbot-core --example bench_reminders -- 1000 60
echo "== app";       cargo build -q --release
NO_AT_BRIDGE=1 CALENDARBOT_BIN=$(realpath "$target/release/calendarbot") \
  xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- python3 scripts/bench_app.py
