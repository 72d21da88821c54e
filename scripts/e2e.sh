#!/usr/bin/env bash
# Runs the end-to-end tests on the real debug binary inside a throwaway X server and
# session D-Bus (both cleaned up on exit). Extra arguments select tests by name.
set -euo pipefail
cd "$(dirname "$0")/.."
export CALENDARBOT_BIN="${CALENDARBOT_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/calendarbot}"
export E2E_OUT="${E2E_OUT:-$PWD/test-output/e2e}"
mkdir -p "$E2E_OUT"
# The throwaway session has no accessibility bus: without this GTK waits ~75 s for its
# activation to time out before the app starts (a real desktop session has one).
export NO_AT_BRIDGE=1
exec xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- python3 tests/e2e/run.py "$@"
