"""End-to-end tests of the tray you read without opening it (issue 13), on the real binary
under Xvfb and a session D-Bus: the calendar colour of each event line's dot icon (decoded
from dbusmenu's `icon-data`), the minutes drawn on the tray icon in the last hour with
their urgency colour, the headline that acts, Join's target, and the line for failing
notifications (issue 12).

Registered from run.py's main; every test uses its own data directory.
"""
import os
import signal
import time

from desktop import (App, MiddayZone, OUT, menu_layout, notification_server_pid, png_rgba, run, test, tray_item_property,
                     until, wait_for, wait_opened, window_ids)

# The urgency plate colours of src-tauri/src/tray_pixels.rs (neutral, amber, red).
NEUTRAL, SOON, IMMINENT = (0x47, 0x55, 0x69), (0xb4, 0x53, 0x09), (0xdc, 0x26, 0x26)
# tray_pixels' 3x5 digits, to read the number back from the icon's pixels.
DIGITS = ["111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
          "111100111001111", "111100111101111", "111001001001001", "111101111101111", "111101111001111"]


def ics(events):
    """A calendar of (uid, summary, start epoch, minutes, link or None) events."""
    fmt = "%Y%m%dT%H%M%SZ"
    out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e tray//EN\r\n"
    for uid, summary, start, minutes, link in events:
        out += (f"BEGIN:VEVENT\r\nUID:{uid}@tray-e2e\r\nDTSTAMP:20260101T000000Z\r\n"
                f"DTSTART:{time.strftime(fmt, time.gmtime(start))}\r\n"
                f"DTEND:{time.strftime(fmt, time.gmtime(start + minutes * 60))}\r\nSUMMARY:{summary}\r\n")
        if link:
            out += f"LOCATION:{link}\r\n"
        out += "END:VEVENT\r\n"
    return out + "END:VCALENDAR\r\n"


def add_feed(app, name, events, color=None):
    path = os.path.join(app.data_dir, f"{name}.ics")
    with open(path, "w", newline="") as f:
        f.write(ics(events))
    args = ["sources", "add", path, "--name", name] + (["--color", color] if color else [])
    app.cli(*args)
    return path


def item_by_label(app, prefix):
    for item_id, props in menu_layout(app):
        if props.get("label", "").startswith(prefix):
            return item_id, props
    return None


def click_id(app, item_id):
    run("busctl", "--user", "call", app.bus_name, app.menu_path, "com.canonical.dbusmenu",
        "Event", "isvu", "--", str(item_id), "clicked", "s", "", "0")


def icon_file(app):
    """The PNG file the appindicator icon points at (IconThemePath + IconName: tray-icon
    writes each new icon to a file; libayatana exports no IconPixmap)."""
    name = tray_item_property(app, "IconName")
    if not os.path.isabs(name):
        name = os.path.join(tray_item_property(app, "IconThemePath"), name + ".png")
    return name


def icon_pixels(app):
    with open(icon_file(app), "rb") as f:
        return png_rgba(f.read())


def read_minutes(rows):
    """The number drawn on a 64 px minutes icon (cells of 8 px, rows from y=12), or None."""
    def white(x, y):
        return rows[y][x] == (255, 255, 255, 255)
    cols = [c for c in range(8) if any(white(c * 8 + 4, 12 + r * 8 + 4) for r in range(5))]
    if not cols:
        return None
    text, c = "", cols[0]
    while c <= cols[-1]:
        glyph = "".join("1" if white((c + k) * 8 + 4, 12 + r * 8 + 4) else "0" for r in range(5) for k in range(3))
        if glyph not in DIGITS:
            return None
        text += str(DIGITS.index(glyph))
        c += 4
    return int(text)


def minutes_to(epoch):
    """What a countdown to `epoch` reads now (rounded up), and a minute later."""
    import math
    m = math.ceil((epoch - time.time()) / 60)
    return {m, m - 1}


@test
def tray_event_lines_carry_a_dot_in_their_calendars_colour():
    now = int(time.time())
    app = App()
    # In progress, so they are today's whatever the hour the suite runs at.
    add_feed(app, "Work", [("alpha", "Alpha review", now - 600, 60, None)], color="#3366cc")
    add_feed(app, "Home", [("beta", "Beta dentist", now - 300, 60, None)], color="#cc3366")
    assert app.cli("sync").returncode == 0
    try:
        app.start()
        # Event lines read "10:00–11:00  Alpha review" (the headline also names one).
        wait_for(lambda: all(item_by_label_containing(app, "  " + s) for s in ("Alpha", "Beta")),
                 10, "both events in the tray")
        for summary, want in (("Alpha review", (0x33, 0x66, 0xcc)), ("Beta dentist", (0xcc, 0x33, 0x66))):
            _, props = item_by_label_containing(app, "  " + summary)
            assert "icon-data" in props, f"{summary}: no icon on its line: {props}"
            width, height, rows = png_rgba(bytes(props["icon-data"]))
            centre = rows[height // 2][width // 2]
            print(f"      {summary}: {width}x{height} dot, centre pixel {centre}")
            assert centre == want + (255,), f"{summary}: centre {centre}, calendar colour {want}"
            assert rows[0][0][3] == 0, "the dot's corner is transparent"
            assert "⧉" not in props["label"], props["label"]
    finally:
        app.stop()


def item_by_label_containing(app, text):
    for item_id, props in menu_layout(app):
        if text in props.get("label", ""):
            return item_id, props
    return None


@test
def the_tray_icon_shows_the_minutes_in_the_last_hour_in_the_urgency_colour():
    app = App()
    try:
        app.start()
        plain_path = icon_file(app)
        _, _, plain = icon_pixels(app)
        assert read_minutes(plain) is None, "the plain icon shows no number"
        now = int(time.time())
        # A meeting 12 minutes away (amber), then one 3 minutes away (red), added live.
        soon = now + 12 * 60 + 30
        add_feed(app, "Soon", [("soon", "Soon meeting", soon, 30, None)])
        wait_for(lambda: read_minutes(icon_pixels(app)[2]) in minutes_to(soon), 15, "the minutes on the icon")
        path, (w, h, rows) = icon_file(app), icon_pixels(app)
        print(f"      {path}: {w}x{h}, reads {read_minutes(rows)} for a meeting in {(soon - time.time()) / 60:.1f} min")
        assert path != plain_path
        assert rows[4][32] == SOON + (255,), rows[4][32]
        title = tray_item_property(app, "XAyatanaLabel")
        assert title.startswith("in ") and "Soon meeting" in title, f"label beside the icon: {title!r}"
        run("/usr/bin/convert", path, os.path.join(OUT, "tray-icon-amber.png"))
        imminent = int(time.time()) + 3 * 60 + 20
        add_feed(app, "Now", [("now", "Imminent meeting", imminent, 30, None)])
        wait_for(lambda: read_minutes(icon_pixels(app)[2]) in minutes_to(imminent), 15, "the minutes of the nearer meeting")
        rows = icon_pixels(app)[2]
        assert rows[4][32] == IMMINENT + (255,), rows[4][32]
        run("/usr/bin/convert", icon_file(app), os.path.join(OUT, "tray-icon-red.png"))
        # With the meetings gone the plain icon comes back.
        app.cli("sources", "remove", "Now")
        app.cli("sources", "remove", "Soon")
        wait_for(lambda: read_minutes(icon_pixels(app)[2]) is None, 15, "the plain icon")
    finally:
        app.stop()


@test
def clicking_the_headline_joins_when_a_link_is_near_else_opens_the_window():
    now = int(time.time())
    app = App()
    add_feed(app, "Work", [("near", "Near call", now + 5 * 60, 30, "https://meet.google.com/near-call-abc")])
    assert app.cli("sync").returncode == 0
    opened = os.path.join(app.data_dir, "opened.txt")
    app.env["CALENDARBOT_OPEN_LOG"] = opened
    try:
        app.start()
        first = wait_for(lambda: menu_layout(app)[0], 10, "the menu")
        item_id, props = first
        assert props["label"].startswith("in ") and "Near call" in props["label"], props
        assert props.get("enabled", True), "the headline is greyed out"
        click_id(app, item_id)
        assert wait_opened(opened, 10, "the opener to be called") == ["https://meet.google.com/near-call-abc"]
    finally:
        app.stop()
    # A link 40 minutes away is not near: the headline opens the window instead.
    app = App()
    add_feed(app, "Work", [("far", "Far call", now + 40 * 60, 30, "https://meet.google.com/far-call-abc")])
    assert app.cli("sync").returncode == 0
    app.env["CALENDARBOT_OPEN_LOG"] = os.path.join(app.data_dir, "opened.txt")
    try:
        app.start()
        item_id, props = wait_for(lambda: menu_layout(app)[0], 10, "the menu")
        assert "Far call" in props["label"], props
        assert not window_ids(), "a window exists before the click"
        click_id(app, item_id)
        wait_for(window_ids, 20, "the window opened by the headline")
        assert not os.path.exists(app.env["CALENDARBOT_OPEN_LOG"]), "joined a meeting 40 min away"
    finally:
        app.stop()


@test
def join_next_targets_todays_linked_call_during_an_unlinked_meeting():
    # The call 24 minutes away must be today's (after 23:36 it would be tomorrow's, which
    # Join leaves alone while today has a meeting): the app runs where it is midday.
    zone = MiddayZone()
    now = int(time.time())
    app = App(env={"TZ": zone.tz})
    add_feed(app, "Work", [
        ("focus", "Focus time", now - 10 * 60, 60, None),
        ("call", "Linked call", now + 24 * 60, 30, "https://meet.google.com/linked-call-abc"),
        # Tomorrow's first meeting with a link: never Join's target while today has one.
        ("tomorrow", "Tomorrow standup", now + 26 * 3600, 15, "https://meet.google.com/tomorrow-abc"),
    ])
    assert app.cli("sync").returncode == 0
    opened = os.path.join(app.data_dir, "opened.txt")
    app.env["CALENDARBOT_OPEN_LOG"] = opened
    try:
        app.start()
        join = wait_for(lambda: item_by_label(app, "Join"), 10, "the Join item")
        labels = [p.get("label") for _, p in menu_layout(app)]
        assert labels[0].startswith("now: Focus time"), labels
        assert join[1]["label"] == "Join: Linked call", labels
        assert join[1].get("enabled", True), "Join disabled during a meeting without a link"
        # The day line says when the meeting ends or the gap before the call.
        assert any(l.startswith(("Free ", "Last meeting ends")) for l in labels), labels
        click_id(app, join[0])
        assert wait_opened(opened, 10, "the opener to be called") == ["https://meet.google.com/linked-call-abc"]
        # The command line's join (for a shortcut) applies the same rule, from the cache.
        res = app.cli("join", "--print")
        assert res.stdout.strip() == "https://meet.google.com/linked-call-abc", res
    finally:
        app.stop()
    # Today's only meeting has no link, tomorrow's has: nothing to join, said in one line.
    app = App(env={"TZ": zone.tz})
    add_feed(app, "Work", [
        ("focus", "Focus time", now - 10 * 60, 60, None),
        ("tomorrow", "Tomorrow standup", now + 26 * 3600, 15, "https://meet.google.com/tomorrow-abc"),
    ])
    assert app.cli("sync").returncode == 0
    try:
        app.start()
        join = wait_for(lambda: item_by_label(app, "Join"), 10, "the Join item")
        assert join[1]["label"] == "Join next meeting" and join[1].get("enabled") is False, join
        res = app.cli("join", "--print", check=False)
        assert res.returncode == 1 and "no meeting with a link" in res.stderr, res
    finally:
        app.stop()


@test
def a_failing_notification_server_gets_a_tray_line_that_goes_away_on_recovery():
    start = int(time.time()) + 75
    app = App()
    app.cli("settings", "set", "notify.lead_minutes", "1")
    add_feed(app, "Work", [("fail", f"Unshown {start}", start, 30, None)])
    assert app.cli("sync").returncode == 0
    pid = notification_server_pid()
    assert pid, "no notification server on the bus"
    stopped = False
    run("dunstctl", "close-all")
    try:
        app.start()
        assert not any("Notifications are failing" in l for l in app.labels()), app.labels()
        # A stopped dunst keeps its bus name (so the bus does not start another) and
        # answers nothing: the reminder's show times out.
        os.kill(pid, signal.SIGSTOP)
        stopped = True
        line = wait_for(lambda: [l for l in app.labels() if "Notifications are failing" in l],
                        until(start - 60, 30), "the failing-notifications line")
        print(f"      {line[0]!r}")
        os.kill(pid, signal.SIGCONT)
        stopped = False
        t0 = time.monotonic()
        wait_for(lambda: not any("Notifications are failing" in l for l in app.labels()), 30,
                 "the line to go away after dunst is back")
        print(f"      gone {time.monotonic() - t0:.2f} s after dunst continued")
        # Recovered for real: the reminder that failed is on screen now.
        wait_for(lambda: int(run("dunstctl", "count", "displayed").stdout.strip()) >= 1, 10,
                 "the retried reminder on screen")
    finally:
        if stopped:
            os.kill(pid, signal.SIGCONT)
        app.stop()


def visible_windows():
    """{window id: (x, y, width, height)} of the visible X windows."""
    out = {}
    for w in run("xdotool", "search", "--onlyvisible", "--name", "", check=False).stdout.split():
        geo = run("xdotool", "getwindowgeometry", "--shell", w, check=False).stdout
        g = dict(line.split("=", 1) for line in geo.split() if "=" in line)
        if g:
            out[w] = tuple(int(g[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    return out


@test
def tray_screenshots_under_a_real_panel_in_light_and_dark():
    """tint2 (a panel with an XEmbed tray) and openbox in the Xvfb session: with no
    StatusNotifierItem host, libayatana-appindicator falls back to an XEmbed icon that
    tint2 shows; a click on it opens the menu, taken to test-output/e2e/tray-*.png."""
    import shutil
    import subprocess
    if not (shutil.which("tint2") and shutil.which("openbox")):
        raise AssertionError("apt-get install -y tint2 openbox (PLATFORM.md) to take the tray screenshots")
    wm = subprocess.Popen(["openbox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    panel = subprocess.Popen(["tint2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for theme in ("light", "dark"):
            now = int(time.time())
            app = App(env={"GTK_THEME": "Adwaita:dark"} if theme == "dark" else {})
            add_feed(app, "Work", [
                # Nothing in progress: the icon counts down to the call (amber).
                ("call", "Customer call", now + 12 * 60, 30, "https://meet.google.com/customer-call-abc"),
                ("review", "Design review", now + 60 * 60, 45, None),
            ], color="#2563eb")
            add_feed(app, "Home", [("dentist", "Dentist", now + 80 * 60, 30, None)], color="#db2777")
            assert app.cli("sync").returncode == 0
            try:
                app.start()
                icon = wait_for(lambda: run("xdotool", "search", "--onlyvisible", "--name", "^CalendarBot: ",
                                            check=False).stdout.split(), 15, "the tray icon in tint2")[0]
                wait_for(lambda: read_minutes(icon_pixels(app)[2]) is not None, 10, "the minutes icon")
                before = visible_windows()
                x, y, w, h = before[icon]
                run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1")
                menu = wait_for(lambda: [g for k, g in visible_windows().items() if k not in before and g[3] > 100],
                                10, "the tray menu on screen")[0]
                path = os.path.join(OUT, f"tray-{theme}.png")
                run("/usr/bin/import", "-window", "root", path)
                mx, my, mw, mh = menu
                left, top = min(mx, x) - 10, min(my, y) - 10
                crop = f"{max(mx + mw, x + w) - left + 10}x{max(my + mh, y + h) - top + 10}+{left}+{top}"
                run("/usr/bin/convert", path, "-crop", crop, "+repage", os.path.join(OUT, f"tray-{theme}-menu.png"))
                print(f"      {path}: menu at {menu}, icon at {(x, y, w, h)}")
                run("xdotool", "key", "Escape")
            finally:
                app.stop()
    finally:
        panel.terminate()
        wm.terminate()
