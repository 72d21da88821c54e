"""End-to-end tests of the real CalendarBot binary on a headless desktop.

Run through scripts/e2e.sh (Xvfb + a session D-Bus). A tiny runner instead of
pytest keeps the suite dependency-free; it ends with "N passed, N failed".
"""
import os
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(__file__))
from desktop import TESTS, App, BIN, OUT, run, test, wait_for, wait_painted, window_ids  # noqa: E402

DEMO_SUMMARIES = ("Daily standup", "Design review", "Customer call", "1:1 with Alex", "Team sync", "Lunch")


@test
def cli_without_display_points_at_the_cli():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    res = subprocess.run([BIN, "--data-dir", "/tmp/cb-nodisplay"], env=env, capture_output=True, text=True, timeout=20)
    assert res.returncode == 2, res
    assert "no display" in res.stderr and "calendarbot agenda" in res.stderr, res.stderr


@test
def tray_menu_holds_the_demo_calendars_next_event():
    app = App().start()
    try:
        labels = app.labels()
        # The headline is the same sentence `calendarbot next` prints.
        next_line = app.cli("next").stdout.strip()
        assert any(s in next_line for s in DEMO_SUMMARIES), next_line
        wait_for(lambda: next_line in app.labels() or app.cli("next").stdout.strip() in app.labels(),
                 5, f"headline {next_line!r} in {labels}")
        assert "Open CalendarBot" in labels and "Quit" in labels, labels
        assert any("demo calendar" in label for label in labels), labels
    finally:
        app.stop()


@test
def open_creates_the_window_and_quit_exits_zero():
    app = App().start()
    try:
        assert not window_ids(), "a window exists before Open"
        app.click("Open CalendarBot")
        window = wait_for(window_ids, 20, "the CalendarBot window")[0]
        wait_painted(os.path.join(OUT, "window-open.png"), window)
        app.click("Quit")
        assert app.wait_exit(5) == 0
        assert not window_ids()
    finally:
        app.stop()


@test
def sigterm_exits_zero_within_five_seconds():
    app = App().start()
    try:
        app.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        assert app.wait_exit(5) == 0
        assert time.monotonic() - t0 < 5
        assert "shutdown complete" in app.stderr(), app.stderr()
    finally:
        app.stop()


@test
def second_launch_opens_the_first_ones_window_and_exits():
    app = App().start()
    try:
        second = App(data_dir=app.data_dir)
        res = run(BIN, "--data-dir", app.data_dir, check=False, timeout=30)
        assert res.returncode == 0, res
        wait_for(window_ids, 20, "the first instance's window")
        assert app.proc.poll() is None, "the first instance died"
        del second
    finally:
        app.stop()


@test
def second_launch_without_a_session_bus_is_stopped_by_the_lock():
    app = App().start()
    try:
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
        res = subprocess.run([BIN, "--data-dir", app.data_dir], env=env, capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res
        assert "already running" in res.stderr, res.stderr
        assert app.proc.poll() is None
    finally:
        app.stop()


def write_feed(path, summary, start_epoch, minutes=30):
    """A one-event ICS file starting at `start_epoch` (UTC)."""
    fmt = "%Y%m%dT%H%M%SZ"
    start = time.strftime(fmt, time.gmtime(start_epoch))
    end = time.strftime(fmt, time.gmtime(start_epoch + minutes * 60))
    with open(path, "w", newline="") as f:
        f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n"
                f"BEGIN:VEVENT\r\nUID:e2e-{int(start_epoch)}@test\r\nDTSTAMP:20260101T000000Z\r\n"
                f"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\n"
                "LOCATION:https://meet.google.com/e2e-test-xyz\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


class NotifyMonitor:
    """Records Notify calls on the session bus with the bus's own timestamps."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["dbus-monitor", "--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
            stdout=subprocess.PIPE, text=True, bufsize=1)
        self.calls = []  # (epoch seconds, text of the call)
        import threading
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        current = None
        for line in self.proc.stdout:
            if line.startswith("method call") and "member=Notify" in line:
                stamp = float(line.split("time=")[1].split()[0])
                current = [stamp, ""]
                self.calls.append(current)
            elif current is not None:
                current[1] += line

    def matching(self, text):
        return [c for c in self.calls if text in c[1]]

    def stop(self):
        self.proc.terminate()


@test
def reminder_arrives_on_time_once_and_not_again_after_restart():
    app = App()
    feed = os.path.join(app.data_dir, "feed.ics")
    start = int(time.time()) + 100
    summary = f"E2E reminder {start}"
    write_feed(feed, summary, start)
    app.cli("sources", "add", feed, "--name", "Local")
    app.cli("settings", "set", "notify.lead_minutes", "1")
    app.cli("settings", "set", "notify.at_start", "false")
    assert app.cli("sync").returncode == 0
    monitor = NotifyMonitor()
    try:
        app.start()
        due = start - 60
        calls = wait_for(lambda: monitor.matching(summary), due - time.time() + 10, "the reminder notification")
        lateness = calls[0][0] - due
        assert 0 <= lateness <= 1.0, f"reminder {lateness:+.3f}s from its due time"
        print(f"      reminder lateness {lateness * 1000:.0f} ms")
        app.proc.send_signal(signal.SIGTERM)
        assert app.wait_exit(5) == 0
        app.start()
        time.sleep(8)
        assert len(monitor.matching(summary)) == 1, "the reminder was shown again after a restart"
    finally:
        monitor.stop()
        app.stop()


@test
def join_next_meeting_from_the_tray_opens_the_feeds_link():
    app = App()
    feed = os.path.join(app.data_dir, "feed.ics")
    write_feed(feed, "Tray join test", int(time.time()) + 1800)
    app.cli("sources", "add", feed, "--name", "Local")
    assert app.cli("sync").returncode == 0
    opened = os.path.join(app.data_dir, "opened.txt")
    app.env["CALENDARBOT_OPEN_LOG"] = opened
    try:
        app.start()
        wait_for(lambda: any(label.startswith("Join: Tray join test") for label in app.labels()), 10, "the Join item")
        app.click("Join: Tray join test")
        wait_for(lambda: os.path.exists(opened), 10, "the opener to be called")
        assert open(opened).read().strip() == "https://meet.google.com/e2e-test-xyz"
    finally:
        app.stop()


def main():
    import window_tests  # noqa: F401  (registers the WebDriver tests of the window)

    selected = [t for t in TESTS if not sys.argv[1:] or any(a in t.__name__ for a in sys.argv[1:])]
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("run through scripts/e2e.sh (needs Xvfb and a session bus)", file=sys.stderr)
        return 2
    dunst = subprocess.Popen(["dunst"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    passed = failed = 0
    try:
        for t in selected:
            t0 = time.monotonic()
            try:
                t()
                passed += 1
                print(f"ok    {t.__name__} ({time.monotonic() - t0:.1f}s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL  {t.__name__}\n{traceback.format_exc()}", flush=True)
    finally:
        dunst.terminate()
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
