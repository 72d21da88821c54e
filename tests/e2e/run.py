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
from desktop import TESTS, App, BIN, OUT, run, test, until, wait_for, wait_opened, wait_painted, window_ids  # noqa: E402

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
        # 15 s: each try runs the (debug) command line again, for a countdown that ticked.
        wait_for(lambda: next_line in app.labels() or app.cli("next").stdout.strip() in app.labels(),
                 15, f"headline {next_line!r} in {labels}")
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


def webkit_children(pid):
    out = subprocess.run(["pgrep", "-a", "-P", str(pid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "WebKit" in line]


@test
def ctrl_w_closes_the_window_frees_webkit_and_keeps_the_tray():
    app = App().start()
    try:
        assert not webkit_children(app.proc.pid), "WebKit runs before the window is opened"
        app.click("Open CalendarBot")
        window = wait_for(window_ids, 20, "the CalendarBot window")[0]
        wait_painted(os.path.join(OUT, "window-before-close.png"), window)
        assert any("WebKitWebProcess" in p for p in webkit_children(app.proc.pid))
        run("xdotool", "windowfocus", "--sync", window)
        run("xdotool", "key", "--clearmodifiers", "ctrl+w")
        wait_for(lambda: not window_ids(), 10, "the window to close")
        t0 = time.monotonic()
        wait_for(lambda: not any("WebKitWebProcess" in p for p in webkit_children(app.proc.pid)), 60,
                 "the WebKit web process to end")
        print(f"      web process gone {time.monotonic() - t0:.1f} s after the window closed; "
              f"left: {webkit_children(app.proc.pid)}")
        assert app.proc.poll() is None, "closing the window ended the app"
        assert "Open CalendarBot" in app.labels()
        app.click("Open CalendarBot")
        wait_for(window_ids, 20, "the window, opened again")
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
def second_launch_without_a_session_bus_refuses_and_leaves_the_first_alone():
    app = App().start()
    try:
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
        res = subprocess.run([BIN, "--data-dir", app.data_dir], env=env, capture_output=True, text=True, timeout=30)
        assert res.returncode == 2, res
        assert "no D-Bus session bus" in res.stderr, res.stderr
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
    """Records Notify calls on the session bus, and the ActionInvoked signals the server
    sends the app back, with the bus's own timestamps."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["dbus-monitor", "--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
             "type='signal',interface='org.freedesktop.Notifications',member='ActionInvoked'"],
            stdout=subprocess.PIPE, text=True, bufsize=1)
        self.calls = []  # (epoch seconds, text of the call)
        self.actions = []  # (epoch seconds, text of the signal)
        import threading
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        current = None
        for line in self.proc.stdout:
            if line.startswith("method call") and "member=Notify" in line:
                current = [float(line.split("time=")[1].split()[0]), ""]
                self.calls.append(current)
            elif line.startswith("signal") and "member=ActionInvoked" in line:
                current = [float(line.split("time=")[1].split()[0]), ""]
                self.actions.append(current)
            elif line.startswith(("method call", "signal", "method return", "error")):
                current = None  # another message (dbus-monitor's own NameAcquired)
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
        calls = wait_for(lambda: monitor.matching(summary), until(due, 10), "the reminder notification")
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
def snooze_chosen_in_the_notification_brings_it_back_at_the_snooze_time():
    """The Snooze action invoked through the notification server (dunst's context menu,
    answered by dunst-menu.sh) reaches the app over D-Bus; the reminder returns once,
    one minute later (notify.snooze_minutes = 1), never early."""
    app = App()
    app.cli("settings", "set", "notify.lead_minutes", "1")
    app.cli("settings", "set", "notify.at_start", "false")
    app.cli("settings", "set", "notify.snooze_minutes", "1")
    monitor = NotifyMonitor()
    try:
        app.start()
        feed = os.path.join(app.data_dir, "feed.ics")
        start = int(time.time()) + 70
        summary = f"E2E snooze {start}"
        write_feed(feed, summary, start)
        app.cli("sources", "add", feed, "--name", "Local")
        app.click("Refresh now")
        first = wait_for(lambda: monitor.matching(summary), until(start - 60, 10), "the reminder")[0]
        assert "snooze-1" in first[1] and "Snooze 1 min" in first[1], first[1]
        offered = os.path.join(OUT, "dunst-menu.txt")
        if os.path.exists(offered):
            os.remove(offered)
        actions = len(monitor.actions)
        run("dunstctl", "context")
        # dunst runs the menu program in the background.
        wait_for(lambda: "Snooze 1 min" in open(offered).read(), 5, "the Snooze action in dunst's menu")
        # The snooze counts from when the app is told (dunst's ActionInvoked, on the bus's
        # clock like the Notify calls), not from when dunstctl returned: dunst starting the
        # menu program and reading its answer in between is no part of the app's minute.
        snoozed_at = wait_for(lambda: [a for a in monitor.actions[actions:] if "snooze-1" in a[1]], 10,
                              "dunst's ActionInvoked for Snooze")[0][0]
        again = wait_for(lambda: monitor.matching(summary)[1:], 75, "the snoozed reminder")[0]
        waited = again[0] - snoozed_at
        assert 59.0 <= waited <= 61.5, f"came back after {waited:.1f} s, not 60"
        assert "snoozed reminder" in again[1], again[1]
        print(f"      snoozed reminder after {waited:.1f} s")
        time.sleep(3)
        assert len(monitor.matching(summary)) == 2, "the snoozed reminder came more than once"
    finally:
        monitor.stop()
        app.stop()


@test
def a_calendar_added_by_the_cli_reaches_the_running_tray_at_once():
    """No Refresh now, no restart: the running app sees `sources add` from another process
    (config_watch: an inotify watch on the database and a fingerprint of the configuration)."""
    app = App()
    try:
        app.start()
        feed = os.path.join(app.data_dir, "feed.ics")
        summary = f"Live change {int(time.time())}"
        write_feed(feed, summary, int(time.time()) + 1800)
        t0 = time.monotonic()
        app.cli("sources", "add", feed, "--name", "Live")
        wait_for(lambda: any(summary in label for label in app.labels()), 10,
                 "the CLI-added calendar's event in the tray")
        print(f"      in the tray {time.monotonic() - t0:.1f} s after sources add")
        # Removing it from the CLI takes it out of the tray the same way.
        app.cli("sources", "remove", "Live")
        wait_for(lambda: not any(summary in label for label in app.labels()), 10,
                 "the removed calendar's event to leave the tray")
    finally:
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
        assert wait_opened(opened, 10, "the opener to be called") == ["https://meet.google.com/e2e-test-xyz"]
    finally:
        app.stop()


@test
def start_at_login_writes_and_removes_the_xdg_autostart_entry():
    import tempfile
    config = tempfile.mkdtemp(prefix="calendarbot-e2e-config-")
    entry = os.path.join(config, "autostart", "calendarbot.desktop")
    app = App(env={"XDG_CONFIG_HOME": config})
    try:
        app.cli("settings", "set", "app.autostart", "true")
        text = open(entry).read()
        assert f'Exec="{BIN}" --data-dir "{app.data_dir}"' in text, text
        assert "Type=Application" in text and "Name=CalendarBot" in text, text
        # Deleted by hand while the setting is on: the app writes it again at start.
        os.remove(entry)
        app.start()
        wait_for(lambda: os.path.exists(entry), 10, "the entry rewritten at start")
        # The app runs as calendarbot-app, but the entry starts the command users know.
        wait_for(lambda: f'Exec="{BIN}" --data-dir' in open(entry).read(), 5,
                 "the rewritten entry starting calendarbot")
        app.proc.send_signal(signal.SIGTERM)
        assert app.wait_exit(5) == 0
        app.cli("settings", "set", "app.autostart", "false")
        assert not os.path.exists(entry)
    finally:
        app.stop()
        subprocess.run(["rm", "-rf", config])


class SlowFeedServer:
    """A real HTTP server on 127.0.0.1: serves `body` at once, or, once `slow` is set,
    sends the headers and then one byte every half second (a refresh that hangs)."""

    def __init__(self, body):
        import http.server
        import threading
        server = self
        self.body, self.slow, self.requests, self.in_slow = body.encode(), False, 0, threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                if not server.slow:
                    self.wfile.write(server.body)
                    return
                server.in_slow.set()
                try:
                    for b in server.body:
                        self.wfile.write(bytes([b]))
                        self.wfile.flush()
                        time.sleep(0.5)
                except OSError:
                    pass  # the client went away: expected when it is shut down

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cal.ics"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


@test
def sigterm_during_a_refresh_drains_and_keeps_a_consistent_cache():
    """RELIABILITY case 49; also shows `status` reading the running app's tasks."""
    import json
    import sqlite3
    app = App()
    feed = os.path.join(app.data_dir, "feed.ics")
    write_feed(feed, "Kept through SIGTERM", int(time.time()) + 7200)
    server = SlowFeedServer(open(feed).read())
    try:
        app.cli("sources", "add", server.url, "--name", "Remote")
        assert app.cli("sync").returncode == 0
        server.slow = True
        app.start()
        app.click("Refresh now")
        assert server.in_slow.wait(10), "the refresh never reached the server"
        status = json.loads(app.cli("status", "--format", "json").stdout)
        assert status["app"]["pid"] == app.proc.pid, status
        active = [t["name"] for t in status["app"]["tasks"]["active"]]
        assert "refresh source 1" in active and "reminders" in active, active
        assert status["app"]["memory"]["anon_bytes"] > 0, status

        app.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        assert app.wait_exit(5) == 0
        print(f"      exit {time.monotonic() - t0:.2f} s after SIGTERM mid-refresh")
        log = app.stderr()
        assert "shutdown complete" in log and "did not stop" not in log, log

        db = sqlite3.connect(os.path.join(app.data_dir, "calendarbot.sqlite3"))
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        after = json.loads(app.cli("status", "--format", "json").stdout)
        assert after["app"] is None, after
        assert after["sources"][0]["event_count"] == 1, after
        agenda = app.cli("agenda", "--format", "jsonl").stdout
        assert "Kept through SIGTERM" in agenda, agenda
    finally:
        server.stop()
        app.stop()


def main():
    import window_tests  # noqa: F401  (registers the WebDriver tests of the window)
    import agenda_tests  # noqa: F401  (registers the WebDriver tests of the agenda grid, focus and screenshots)
    import reminder_tests  # noqa: F401  (registers the reminder and launch-race tests)
    import hide_tests  # noqa: F401  (registers the hide-rule tests: window, tray, refresh, title patterns)
    import tray_tests  # noqa: F401  (registers the tray glance tests: colours, minutes icon, headline, Join)

    selected = [t for t in TESTS if not sys.argv[1:] or any(a in t.__name__ for a in sys.argv[1:])]
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("run through scripts/e2e.sh (needs Xvfb and a session bus)", file=sys.stderr)
        return 2
    # dunst with its defaults (markup as packaged), except that the context menu (the actions of the shown
    # notifications) is answered by dunst-menu.sh instead of dmenu.
    dunstrc = os.path.join(OUT, "dunstrc")
    with open(dunstrc, "w") as f:
        # markup = full, as in dunst's packaged /etc/xdg/dunst/dunstrc: the server then
        # advertises body-markup and parses markup in the summary too (issue 12's attack).
        f.write(f"[global]\n    markup = full\n"
                f"    dmenu = {os.path.abspath(os.path.join(os.path.dirname(__file__), 'dunst-menu.sh'))}\n")
    dunst = subprocess.Popen(["dunst", "-config", dunstrc], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
