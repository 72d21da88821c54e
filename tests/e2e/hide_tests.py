"""End-to-end tests of hide rules (issue 12, "hide rules") on the real binary: an
occurrence hidden from the event's details leaves the window and the tray menu
(dbusmenu) and stays hidden after Refresh now rewrote the cache; Unhide in Settings
brings it back; `calendarbot hide add` reaches the running app at once; a title pattern (notify.ignore_titles) keeps the meeting shown but no
notification of it reaches dunst while an ordinary meeting's does. Screenshots of the
details dialog and of the hidden list, light and dark.

Registered from run.py's main; every test uses its own data directory.
"""
import json
import os
import tempfile
import time

from desktop import App, BIN, MiddayZone, run, test, until, wait_for
from window_tests import Window
from agenda_tests import screenshot, utc
from reminder_tests import BusMonitor, app_with_feed


class _Running:
    """The app WebDriver started, as desktop.App's tray helpers expect it."""

    def __init__(self, pid):
        self.pid = pid

    def poll(self):
        return None if os.path.exists(f"/proc/{self.pid}") else 1


def tray_of(w):
    """desktop.App's dbusmenu helpers on the app the WebDriver session started."""
    app = App(data_dir=w.data_dir)
    pid = wait_for(w.app_pids, 20, "the app's process")[0]
    app.proc = _Running(pid)
    wait_for(app._find_menu, 30, "the tray menu on D-Bus")
    return app


def later_today(minutes, now, zone):
    """Epoch seconds `minutes` after `now`, on the minute; the tests need it still today
    in `zone` (a MiddayZone: the app runs in it, so this holds at any hour of the run)."""
    t = (int(now) // 60 + minutes) * 60
    assert zone.date(t) == zone.date(now), "too close to midnight for this test"
    return t


def vevent(uid, summary, start, minutes=20, extra=""):
    return (f"BEGIN:VEVENT\r\nUID:{uid}@hide-e2e\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART:{utc(start)}\r\nDTEND:{utc(start + minutes * 60)}\r\n{extra}SUMMARY:{summary}\r\nEND:VEVENT\r\n")


def feed(tag, zone, extra=""):
    """A daily series (3 days from today) and a one-off meeting, both later today in
    `zone`. The times come from the tag (the epoch second the test started), not from the
    clock, so a feed rewritten a minute later keeps the series' start, and so the hidden
    occurrence's identity (its original start)."""
    started = int(tag)
    series = vevent(f"series-{tag}", f"Hidden standup {tag}", later_today(40, started, zone),
                    extra="RRULE:FREQ=DAILY;COUNT=3\r\n")
    one_off = vevent(f"one-{tag}", f"Kept meeting {tag}", later_today(70, started, zone))
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hide-e2e//EN\r\n" + series + one_off + extra + "END:VCALENDAR\r\n"


def agenda_items(w):
    return w.js("return [...document.querySelectorAll('#agenda-list li[data-testid=\"agenda-item\"] .summary')]"
                ".map((s) => s.textContent)")


def show_today(w, summary):
    w.go("agenda")
    w.click("#agenda-view-day")
    w.click("#agenda-today")
    wait_for(lambda: summary in agenda_items(w), 20, f"{summary!r} in the agenda")


def open_details(w, summary):
    w.js("[...document.querySelectorAll('#agenda-list button.event-open')]"
         ".find((b) => b.querySelector('.summary').textContent === arguments[0]).click()", summary)
    wait_for(lambda: w.js("return document.getElementById('event-details').open"), 5, "the details dialog")
    # Scroll the dialog's buttons into view for the screenshot.
    w.js("document.querySelector('#event-details .actions').scrollIntoView({ block: 'end' })")


def cli(data_dir, zone, *args):
    """The command line in the test's zone (its agenda's days are the window's and the tray's)."""
    return run(BIN, "--data-dir", data_dir, *args, env=dict(os.environ, TZ=zone.tz))


def cli_agenda(data_dir, zone, day):
    out = cli(data_dir, zone, "agenda", "--from", day.isoformat(), "--format", "jsonl").stdout
    return [(o["summary"], o["start"]) for o in map(json.loads, out.splitlines())]


@test
def an_occurrence_hidden_in_the_details_leaves_the_window_and_the_tray_and_stays_hidden_after_refresh():
    # Later today must stay today for the whole test, whenever it runs.
    zone = MiddayZone()
    day = zone.date()
    tag = str(int(time.time()))
    hidden, kept = f"Hidden standup {tag}", f"Kept meeting {tag}"
    with tempfile.TemporaryDirectory(prefix="calendarbot-hide-") as data_dir:
        path = os.path.join(data_dir, "team.ics")
        with open(path, "w", newline="") as f:
            f.write(feed(tag, zone))
        cli(data_dir, zone, "sources", "add", path, "--name", "Team")
        cli(data_dir, zone, "sync")
        w = Window(data_dir, env={"GTK_THEME": "Adwaita", "TZ": zone.tz})
        try:
            w.start()
            tray = tray_of(w)
            wait_for(lambda: any(hidden in label for label in tray.labels()), 15, f"{hidden!r} in the tray")

            show_today(w, hidden)
            open_details(w, hidden)
            assert w.find_all('#event-details [data-testid="hide-series"]'), "no series button on a recurring event"
            screenshot(w, "hide-details-light")
            w.click('#event-details [data-testid="hide-occurrence"]')
            wait_for(lambda: "hidden from the tray" in w.text("#event-details .status"), 10, "the hidden message")
            assert w.js("return document.activeElement.dataset.testid") == "hide-undo"
            screenshot(w, "hide-details-hidden-light")

            # Gone from the window's agenda, the tray menu and the command line's agenda;
            # tomorrow's occurrence of the series is still there.
            wait_for(lambda: hidden not in agenda_items(w), 10, "the occurrence to leave the agenda")
            assert kept in agenda_items(w), agenda_items(w)
            wait_for(lambda: not any(hidden in label for label in tray.labels()), 10,
                     "the occurrence to leave the tray")
            assert any(kept in label for label in tray.labels()), tray.labels()
            starts = [s for summary, s in cli_agenda(data_dir, zone, day) if summary == hidden]
            assert len(starts) == 2, f"the other occurrences should stay: {starts}"

            # Refresh now rewrites the cache (the feed has a new event): still hidden.
            fresh = f"Fresh event {tag}"
            with open(path, "w", newline="") as f:
                f.write(feed(tag, zone, vevent(f"fresh-{tag}", fresh, later_today(80, int(tag), zone))))
            tray.click("Refresh now")
            wait_for(lambda: any(fresh in label for label in tray.labels()), 20, "the refreshed feed in the tray")
            wait_for(lambda: fresh in agenda_items(w), 10, "the refreshed feed in the window")
            assert not any(hidden in label for label in tray.labels()), tray.labels()
            assert hidden not in agenda_items(w), agenda_items(w)

            # Settings → Hidden events lists it; Unhide brings it back everywhere.
            w.js("document.getElementById('event-details').close()")
            w.go("settings")
            wait_for(lambda: w.find_all('[data-testid="hidden-event"]'), 10, "the hidden list")
            row = w.text('[data-testid="hidden-event"]')
            assert hidden in row and "Only" in row and "Team" in row, row
            w.js("document.getElementById('hidden-heading').scrollIntoView()")
            screenshot(w, "hide-settings-light")
            w.click('[data-testid="unhide"]')
            wait_for(lambda: "is shown again" in w.text("#hidden-status"), 10, "the unhide message")
            wait_for(lambda: w.find_all('[data-testid="hidden-none"]'), 10, "the empty hidden list")
            wait_for(lambda: any(hidden in label for label in tray.labels()), 10, "the occurrence back in the tray")
            assert len([s for summary, s in cli_agenda(data_dir, zone, day) if summary == hidden]) == 3
            assert json.loads(cli(data_dir, zone, "hide", "list", "--format", "json").stdout) == []

            # `calendarbot hide add` from another process reaches the running tray at once
            # (config_watch), and the window's list.
            t0 = time.monotonic()
            cli(data_dir, zone, "hide", "add", "--source", "Team", "--uid", f"one-{tag}@hide-e2e")
            wait_for(lambda: not any(kept in label for label in tray.labels()), 10,
                     "the CLI-hidden meeting to leave the tray")
            print(f"      CLI hide reached the tray in {time.monotonic() - t0:.1f} s")
            wait_for(lambda: kept in w.text("#hidden-list"), 10, "the CLI's rule in the hidden list")
        finally:
            w.close()


@test
def screenshots_of_the_hide_buttons_and_the_hidden_list_in_dark():
    zone = MiddayZone()  # later today stays today
    tag = str(int(time.time()))
    with tempfile.TemporaryDirectory(prefix="calendarbot-hide-") as data_dir:
        path = os.path.join(data_dir, "team.ics")
        with open(path, "w", newline="") as f:
            f.write(feed(tag, zone))
        cli(data_dir, zone, "sources", "add", path, "--name", "Team")
        cli(data_dir, zone, "sync")
        cli(data_dir, zone, "hide", "add", "--source", "Team", "--uid", f"one-{tag}@hide-e2e")
        w = Window(data_dir, env={"GTK_THEME": "Adwaita:dark", "TZ": zone.tz})
        try:
            w.start()
            assert w.js("return matchMedia('(prefers-color-scheme: dark)').matches") is True
            show_today(w, f"Hidden standup {tag}")
            assert f"Kept meeting {tag}" not in agenda_items(w), "the CLI's rule is not applied"
            open_details(w, f"Hidden standup {tag}")
            screenshot(w, "hide-details-dark")
            # The whole series: every day of it leaves the command line's agenda too.
            w.click('#event-details [data-testid="hide-series"]')
            wait_for(lambda: "Every occurrence of this series" in w.text("#event-details .status"), 10,
                     "the series message")
            wait_for(lambda: not any(s == f"Hidden standup {tag}" for s, _ in cli_agenda(data_dir, zone, zone.date())), 10,
                     "the series to leave the agenda")
            w.js("document.getElementById('event-details').close()")
            w.go("settings")
            rows = wait_for(lambda: len(w.find_all('[data-testid="hidden-event"]')) == 2
                            and w.texts('[data-testid="hidden-event"]'), 10, "the two rules in the hidden list")
            assert f"Kept meeting {tag}" in rows[0] and f"Hidden standup {tag}" in rows[1], rows
            assert all("All occurrences" in r for r in rows), rows
            # The title patterns are a text field of the Reminders group.
            field = w.js("const i = document.querySelector('[data-key=\"notify.ignore_titles\"]');"
                         " return [i.type, i.closest('.settings-group').dataset.group, i.placeholder]")
            assert field == ["text", "reminders", "Lunch*, *focus time*"], field
            w.js("document.getElementById('hidden-heading').scrollIntoView()")
            screenshot(w, "hide-settings-dark")
        finally:
            w.close()


def dunst_summaries():
    """Summaries of every notification dunst showed (history holds the closed ones)."""
    run("dunstctl", "close-all")
    history = json.loads(run("dunstctl", "history").stdout)
    return [n["summary"]["data"] for group in history["data"] for n in group]


@test
def a_title_pattern_keeps_the_meeting_shown_but_never_notifies_it():
    base = int(time.time()) + 75
    tag = str(base)
    silenced, ordinary = f"Lunch with the team {tag}", f"Ordinary meeting {tag}"
    # The silenced one is due 10 s before the ordinary one: when the ordinary one has
    # arrived, the other would have long before.
    app = app_with_feed([("lunch", silenced.encode(), base, []), ("plain", ordinary.encode(), base + 10, [])])
    refused = app.cli("settings", "set", "notify.ignore_titles", "*", check=False)
    assert refused.returncode == 2 and "every meeting" in refused.stderr, refused
    app.cli("settings", "set", "notify.ignore_titles", "LUNCH*, *focus time*")
    monitor = BusMonitor()
    try:
        app.start()
        wait_for(lambda: any(silenced in label for label in app.labels()), 10, "the silenced meeting in the tray")
        due = base + 10 - 60
        wait_for(lambda: monitor.notify(ordinary), until(due, 15), "the ordinary meeting's reminder")
        assert monitor.notify(silenced) == [], "a notification of the silenced meeting"
        shown = dunst_summaries()
        assert any(ordinary in s for s in shown), shown
        assert not any(silenced in s for s in shown), shown
        assert any(silenced in label for label in app.labels()), app.labels()
    finally:
        monitor.stop()
        app.stop()
