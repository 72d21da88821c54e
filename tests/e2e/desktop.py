"""Helpers for end-to-end tests: the real binary, the tray over dbusmenu, dunst.

Runs inside `xvfb-run ... dbus-run-session` (scripts/e2e.sh): DISPLAY and
DBUS_SESSION_BUS_ADDRESS are those of a throwaway X server and bus.
"""
import datetime
import json
import os
import signal
import subprocess
import tempfile
import time

BIN = os.environ.get("CALENDARBOT_BIN", "target/debug/calendarbot")
# The tray app `calendarbot` starts (exec, the same pid) when it has no subcommand.
APP_BIN = os.path.join(os.path.dirname(BIN), "calendarbot-app")
OUT = os.environ.get("E2E_OUT", "test-output/e2e")

TESTS = []


def test(fn):
    """Registers an end-to-end test (run.py runs them in definition order)."""
    TESTS.append(fn)
    return fn


def run(*args, check=True, timeout=30, **kw):
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=timeout, **kw)


def wait_for(predicate, timeout, what, interval=0.1):
    """Polls `predicate` until it returns a truthy value; fails with `what`. It is asked at
    least once and once more at the deadline: a condition that already holds never fails
    (a timeout computed from a due time a slow start has passed can be zero)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        final = time.monotonic() >= deadline
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the app may not be up yet
            last_error = e
        if final:
            break
        time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


def wait_opened(path, timeout, what):
    """The links the app's opener logged to `path` (CALENDARBOT_OPEN_LOG), once a whole
    line is there: the file exists from its creation on, a moment before the URL is in it."""
    def lines():
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            return None
        return text.endswith("\n") and text.splitlines()
    return wait_for(lines, timeout, what)


def until(epoch, slack):
    """A wait_for timeout: until the wall-clock time `epoch` (a reminder's due time), then
    `slack` seconds more, and never less than `slack`: on a loaded machine the setup before
    the wait can take past `epoch`, and what is due then still needs a moment to arrive."""
    return round(max(epoch - time.time(), 0.0) + slack, 1)


class MiddayZone:
    """A fixed-offset time zone (an IANA Etc/GMT name, no daylight saving) in which it is
    now between 12:00 and 13:00, on today's UTC date. A test whose meetings must fall
    "today" or "later today" (the tray's event lines and Join, the agenda's Today) gives
    the app (and so its WebKit) and its command line this TZ, and reckons its own days in
    it: whatever the hour the suite runs at, midnight is 11 hours away, not minutes."""

    def __init__(self):
        hours = 12 - time.gmtime().tm_hour  # -11..12, all of them IANA Etc zones
        # Etc/GMT's sign is POSIX's, the reverse of ISO 8601's: Etc/GMT-3 is UTC+3.
        self.tz = "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"
        self.offset = hours * 3600

    def date(self, epoch=None):
        """The date in this zone at `epoch` (default: now)."""
        t = time.time() if epoch is None else epoch
        return datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(seconds=self.offset))).date()


class App:
    """One running tray app on its own data directory."""

    def __init__(self, data_dir=None, args=(), env=None):
        self.tmp = None
        if data_dir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="calendarbot-e2e-")
            data_dir = self.tmp.name
        self.data_dir = data_dir
        self.env = dict(os.environ, **(env or {}))
        self.args = list(args)
        self.proc = None
        self.bus_name = None
        self.menu_path = None

    def cli(self, *args, check=True, env=None):
        return run(BIN, "--data-dir", self.data_dir, *args, check=check, env=dict(self.env, **(env or {})))

    def start(self, wait_tray=True):
        self.log = open(os.path.join(self.data_dir, "stderr.log"), "w")
        self.proc = subprocess.Popen([BIN, "--data-dir", self.data_dir, *self.args],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        self.started_at = time.monotonic()
        if wait_tray:
            wait_for(self._find_menu, 30, "the tray menu on D-Bus")
        return self

    def stderr(self):
        with open(os.path.join(self.data_dir, "stderr.log")) as f:
            return f.read()

    def _find_menu(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"app exited early with {self.proc.returncode}:\n{self.stderr()}")
        for name in bus_names_of(self.proc.pid):
            # The app has several bus connections; the notifier's exports no objects and
            # never answers Introspect (busctl tree ignores --timeout), so bound the wait.
            tree = run("timeout", "5", "busctl", "--user", "tree", "--list", name, check=False).stdout.split()
            menus = [p for p in tree if p.startswith("/org/ayatana/NotificationItem/") and p.endswith("/Menu")]
            if menus:
                self.bus_name, self.menu_path = name, menus[0]
                return True
        return False

    def menu(self):
        """The tray menu as a list of (id, label, enabled); separators are skipped."""
        out = run("busctl", "--user", "--json=short", "call", self.bus_name, self.menu_path,
                  "com.canonical.dbusmenu", "GetLayout", "iias", "--", "0", "-1", "0").stdout
        layout = json.loads(out)["data"][1]
        items = []
        for child in layout[2]:
            item_id, props, _ = child["data"]
            if props.get("type", {}).get("data") == "separator":
                continue
            label = props.get("label", {}).get("data", "")
            enabled = props.get("enabled", {}).get("data", True)
            items.append((item_id, label, enabled))
        return items

    def labels(self):
        return [label for _, label, _ in self.menu()]

    def click(self, label_prefix):
        for item_id, label, _ in self.menu():
            if label.startswith(label_prefix):
                run("busctl", "--user", "call", self.bus_name, self.menu_path, "com.canonical.dbusmenu",
                    "Event", "isvu", "--", str(item_id), "clicked", "s", "", "0")
                return
        raise AssertionError(f"no menu item starting with {label_prefix!r} in {self.labels()}")

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"app still running {timeout}s later:\n{self.stderr()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tmp:
            self.tmp.cleanup()


def bus_names_of(pid):
    """Unique D-Bus connection names owned by process `pid`."""
    out = run("busctl", "--user", "list", "--json=short", "--unique", check=False).stdout
    try:
        rows = json.loads(out)
    except json.JSONDecodeError:
        return []
    return [r["name"] for r in rows if r.get("pid") == pid]


def notification_server_pid():
    """The pid of the process that owns org.freedesktop.Notifications (dunst), or None."""
    out = run("busctl", "--user", "--json=short", "status", "org.freedesktop.Notifications", check=False).stdout
    for line in out.splitlines():
        if line.startswith("PID="):
            return int(line.split("=", 1)[1])
    return None


def window_ids(name="CalendarBot"):
    res = run("xdotool", "search", "--onlyvisible", "--name", f"^{name}$", check=False)
    return res.stdout.split()


def screenshot(path, window_id=None):
    """Takes a screenshot of the screen; returns the pixel standard deviation of the
    window's area (0 for a uniformly blank window)."""
    run("/usr/bin/import", "-window", "root", path)
    crop = []
    if window_id:
        geo = run("xdotool", "getwindowgeometry", "--shell", window_id).stdout
        g = dict(line.split("=", 1) for line in geo.split())
        crop = ["-crop", f"{g['WIDTH']}x{g['HEIGHT']}+{g['X']}+{g['Y']}"]
    stddev = run("/usr/bin/convert", path, *crop, "-format", "%[fx:standard_deviation]", "info:").stdout
    return float(stddev)


def wait_painted(path, window_id, timeout=20):
    """Waits until the window shows more than a blank background (WebKit paints late)."""
    return wait_for(lambda: screenshot(path, window_id) > 0.05, timeout, f"window content in {path}", interval=0.5)


def menu_layout(app):
    """The tray menu's items as (id, properties) with the raw dbusmenu values (labels,
    `icon-data` as PNG bytes); separators are skipped."""
    out = run("busctl", "--user", "--json=short", "call", app.bus_name, app.menu_path,
              "com.canonical.dbusmenu", "GetLayout", "iias", "--", "0", "-1", "0").stdout
    items = []
    for child in json.loads(out)["data"][1][2]:
        item_id, props, _ = child["data"]
        if props.get("type", {}).get("data") == "separator":
            continue
        items.append((item_id, {k: v["data"] for k, v in props.items()}))
    return items


def tray_item_property(app, name):
    """A property of the app's StatusNotifierItem (the object beside its menu)."""
    item = app.menu_path.rsplit("/Menu", 1)[0]
    out = run("busctl", "--user", "--json=short", "get-property", app.bus_name, item,
              "org.kde.StatusNotifierItem", name).stdout
    return json.loads(out)["data"]


def png_rgba(data):
    """Decodes an 8-bit RGBA or RGB, non-interlaced PNG (what GTK and tray-icon write)
    into (width, height, rows of (r, g, b, a)) with the standard library only."""
    import struct
    import zlib
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and color_type in (2, 6) and interlace == 0, header
    channels = 4 if color_type == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + channels]) + ((255,) if channels == 3 else ())
                     for x in range(0, stride, channels)])
        prev = line
    return width, height, rows
