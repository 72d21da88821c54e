"""WebDriver tests of the agenda's time grid, its month, its event dialog, the focus on
navigation, and screenshots of every page in light and dark (WebKitWebDriver on the
real binary; helpers from window_tests.py)."""
import datetime
import os
import tempfile
import time

from desktop import BIN, OUT, run, test, wait_for
from window_tests import Window

CALENDAR_COLOR = "#16a34a"  # given to the test calendar with `sources add --color`
TEAMS_DESCRIPTION = (
    "Agenda: the Q3 numbers.\\n\\n"
    "________________________________________________________________________________\\n"
    "Microsoft Teams meeting\\nJoin on your computer, mobile app or room device\\n"
    "Meeting ID: 123 456 789 012\\nPasscode: abc123\\n"
    "+1 323-555-0100,,123456789#   United States, Los Angeles\\n"
    "________________________________________________________________________________")
PAGES = {"next": "next-heading", "agenda": "agenda-title", "sources": "sources-heading",
         "settings": "settings-heading", "diagnostics": "diagnostics-heading"}


def local_epoch(day, hour, minute=0):
    """Epoch seconds of `hour`:`minute` local time on `day` (a date)."""
    return time.mktime((day.year, day.month, day.day, hour, minute, 0, 0, 0, -1))


def utc(epoch):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def vevent(uid, summary, start, end, extra=""):
    """An event; `start` and `end` are what follows DTSTART/DTEND (":2026…Z" or ";VALUE=DATE:2026…")."""
    return (f"BEGIN:VEVENT\r\nUID:{uid}@agenda-e2e\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART{start}\r\nDTEND{end}\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\n")


def today():
    """Today's local date, away from midnight (the app and this test must agree on it):
    in the last 5 minutes of the day it waits for the next one, so the test that asked,
    window start and all, still ends on the same day."""
    now = datetime.datetime.now()
    if now.hour == 23 and now.minute >= 55:
        time.sleep(24 * 3600 - (now.hour * 3600 + now.minute * 60 + now.second) + 30)
    return datetime.date.today()


def agenda_feed(day):
    """Two overlapping meetings, an all-day event, a meeting with details, one yesterday."""
    yesterday = day - datetime.timedelta(days=1)
    timed = lambda uid, summary, h0, m0, h1, m1, extra="", d=day: vevent(  # noqa: E731
        uid, summary, ":" + utc(local_epoch(d, h0, m0)), ":" + utc(local_epoch(d, h1, m1)), extra)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//agenda-e2e//EN\r\n"
            + timed("a", "Overlap A", 10, 0, 11, 0)
            + timed("b", "Overlap B", 10, 30, 11, 30)
            + timed("solo", "Solo review", 14, 0, 15, 0,
                    "LOCATION:https://meet.google.com/agenda-e2e-xyz\r\n"
                    "ORGANIZER;CN=Dana Organizer:mailto:dana@example.com\r\n"
                    "ATTENDEE;CN=Ann:mailto:ann@example.com\r\nATTENDEE;CN=Ben:mailto:ben@example.com\r\n"
                    f"DESCRIPTION:{TEAMS_DESCRIPTION}\r\n")
            + timed("old", "Yesterday's retro", 9, 0, 10, 0, d=yesterday)
            + vevent("offsite", "Offsite day", f";VALUE=DATE:{day:%Y%m%d}",
                     f";VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}")
            + "END:VCALENDAR\r\n")


class Agenda:
    """A window on a data folder holding the test calendar, shown on the agenda."""

    def __init__(self, env=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="calendarbot-agenda-")
        self.data_dir = self.tmp.name
        self.day = today()
        feed = os.path.join(self.data_dir, "agenda.ics")
        with open(feed, "w", newline="") as f:
            f.write(agenda_feed(self.day))
        cli = lambda *a: run(BIN, "--data-dir", self.data_dir, *a)  # noqa: E731
        cli("sources", "add", feed, "--name", "Work", "--color", CALENDAR_COLOR)
        cli("sync")
        self.w = Window(self.data_dir, env=env)
        # The day the feed is for: the tests check that one, not a second reading of the
        # clock that may fall on the next day.
        self.w.day = self.day

    def __enter__(self):
        try:
            self.w.start()
        except BaseException:
            self.__exit__()
            raise
        return self.w

    def __exit__(self, *exc):
        try:
            self.w.close()
        finally:
            self.tmp.cleanup()


def rect(w, summary):
    """The bounding box of an event block, by its title."""
    return w.js("""
        const li = [...document.querySelectorAll('#agenda-list li[data-testid="agenda-item"]')]
          .find((n) => n.querySelector('.summary').textContent === arguments[0]);
        if (!li) return null;
        const r = li.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                 date: li.closest('section.day').dataset.date, row: li.parentElement.className };""", summary)


def show_agenda(w, day, view="day"):
    """The agenda page on `day`'s day or week, rendered."""
    w.go("agenda")
    w.click(f"#agenda-view-{view}")
    w.click("#agenda-today")
    wait_for(lambda: w.js("return !document.getElementById('agenda-list').hasAttribute('aria-busy')"
                          " && document.getElementById('agenda-list').dataset.view === arguments[0]", view),
             10, f"the {view} view")
    wait_for(lambda: rect(w, "Overlap A"), 20, "Overlap A in the agenda")


def press(w, *keys):
    """Key presses sent to the focused element (W3C actions)."""
    actions = []
    for k in keys:
        actions += [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
    w.request("POST", w.s("/actions"), {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})


def screenshot(w, name):
    """A screenshot once the last change is painted (WebKit paints on its next frames)."""
    w.request("POST", w.s("/execute/async"), {"script": "const done = arguments[0];"
              " requestAnimationFrame(() => requestAnimationFrame(() => done()));", "args": []})
    time.sleep(0.3)
    return w.screenshot(name)


def scroll_to_hour(w, hour):
    """Scrolls the grid so `hour` is at its top (screenshots show the day's meetings)."""
    w.js("const l = document.getElementById('agenda-list');"
         " l.scrollTop = arguments[0] * l.querySelector('.timeline').getBoundingClientRect().height / 24;", hour)


def rgb(hex_color):
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@test
def agenda_grid_sets_overlaps_side_by_side_all_day_on_top_and_the_now_line_on_today():
    with Agenda() as w:
        day = w.day
        show_agenda(w, day)
        # The grid opens scrolled toward now (the hour depends on when the test runs) and
        # the all-day row is sticky: measure the layout from the top of the day.
        scroll_to_hour(w, 0)
        a, b = rect(w, "Overlap A"), rect(w, "Overlap B")
        assert a["right"] <= b["left"] or b["right"] <= a["left"], f"the overlapping blocks overlap: {a} {b}"
        assert a["top"] < b["top"] < a["bottom"] < b["bottom"], f"not the 10:00-11:00 / 10:30-11:30 ranges: {a} {b}"
        solo = rect(w, "Solo review")
        assert solo["right"] - solo["left"] > 1.5 * (a["right"] - a["left"]), f"a lone block is not full width: {solo} {a}"
        offsite = rect(w, "Offsite day")
        assert "all-day" in offsite["row"] and offsite["date"] == day.isoformat(), offsite
        assert offsite["bottom"] <= a["top"] and offsite["bottom"] <= w.js(
            "return document.querySelector('section.day .timeline').getBoundingClientRect().top") + 1, offsite

        lines = w.js("return [...document.querySelectorAll('[data-testid=\"now-line\"]')]"
                     ".map((n) => n.closest('section.day').dataset.date)")
        assert lines == [day.isoformat()], f"now lines in {lines}, not only today {day}"
        scroll_to_hour(w, 9)
        screenshot(w, "agenda-day")

        press(w, "]")  # the keyboard still moves the agenda
        tomorrow = (day + datetime.timedelta(days=1)).isoformat()
        wait_for(lambda: w.js("return document.getElementById('agenda-list').dataset.from") == tomorrow, 5, "tomorrow")
        wait_for(lambda: w.js("return !!document.querySelector('section.day[data-date=\"%s\"]')" % tomorrow), 15,
                 "tomorrow's column")
        assert w.find_all('[data-testid="now-line"]') == [], "a now line on tomorrow"

        press(w, "t", "w")
        wait_for(lambda: len(w.find_all("#agenda-list section.day")) == 7, 15, "the week's 7 columns")
        lines = w.js("return [...document.querySelectorAll('[data-testid=\"now-line\"]')]"
                     ".map((n) => n.closest('section.day').dataset.date)")
        assert lines == [day.isoformat()], f"week view: now lines in {lines}"
        columns = w.js("return [...document.querySelectorAll('#agenda-list section.day')].map((s) => {"
                       " const r = s.getBoundingClientRect(); return [r.left, r.right]; })")
        assert all(columns[i][1] <= columns[i + 1][0] + 1 for i in range(6)), f"columns not side by side: {columns}"
        scroll_to_hour(w, 8.5)
        screenshot(w, "agenda-week")


def block_style(w, summary):
    return w.js("""
        const li = [...document.querySelectorAll('#agenda-list li[data-testid="agenda-item"]')]
          .find((n) => n.querySelector('.summary').textContent === arguments[0]);
        const s = getComputedStyle(li);
        return { past: li.classList.contains('past'), bg: s.backgroundColor, border: s.borderLeftColor,
                 opacity: s.opacity, color: s.color, fg: getComputedStyle(document.body).color };""", summary)


@test
def agenda_blocks_wear_their_calendar_colour_and_past_ones_are_dimmed_not_faded():
    """The colour half needs the backend to fill OccurrenceView.color with the calendar's
    colour (issue 13, "colours everywhere"); until then the blocks fall back to the accent."""
    with Agenda() as w:
        day = w.day
        show_agenda(w, day, "week" if day.weekday() else "day")
        solo = block_style(w, "Solo review")
        if day.weekday():  # yesterday is in this week
            old = block_style(w, "Yesterday's retro")
            # Compared with today's all-day event, which ends only at midnight: Solo review
            # (14:00-15:00) is itself past when the suite runs in the afternoon or evening.
            offsite = block_style(w, "Offsite day")
            assert old["past"] and not offsite["past"], (old, offsite)
            assert old["bg"] != offsite["bg"] and old["border"] == offsite["border"], f"past not a tint: {old} {offsite}"
            assert old["opacity"] == "1" and old["color"] == old["fg"], f"past text faded: {old}"
        if not solo["past"]:  # 14:00 today: solid until it ends
            assert solo["bg"] == rgb(CALENDAR_COLOR), f"block {solo['bg']}, calendar {CALENDAR_COLOR}"
        assert solo["border"] == rgb(CALENDAR_COLOR), f"border {solo['border']}, calendar {CALENDAR_COLOR}"


@test
def agenda_month_jumps_to_a_chosen_date_by_mouse_and_keyboard():
    with Agenda() as w:
        day = w.day
        show_agenda(w, day)
        target = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=15)  # the 15th of next month
        w.click('#agenda-month button[aria-label="Next month"]')
        w.click(f'#agenda-month button[data-date="{target.isoformat()}"]')
        wait_for(lambda: w.js("return document.getElementById('agenda-list').dataset.from") == target.isoformat(),
                 5, f"the day view on {target}")
        # The title moves at once; the day itself once the agenda is loaded (aria-busy meanwhile).
        wait_for(lambda: w.js("return document.querySelector('#agenda-list section.day').dataset.date")
                 == target.isoformat(), 15, f"the day {target} rendered")

        # The keyboard: the chosen day has the focus; → then Enter picks the next day.
        press(w, "\ue014", "\ue007")
        after = (target + datetime.timedelta(days=1)).isoformat()
        wait_for(lambda: w.js("return document.getElementById('agenda-list').dataset.from") == after, 5,
                 f"the day view on {after}")
        assert w.js("return document.activeElement.dataset.date") == after, "the focus left the month"

        w.click("#agenda-view-week")
        monday = target + datetime.timedelta(days=1) - datetime.timedelta(days=(target + datetime.timedelta(days=1)).weekday())
        wait_for(lambda: w.js("return document.getElementById('agenda-list').dataset.from") == monday.isoformat(),
                 5, f"the week of {after} (from {monday})")
        shown = w.js("return [...document.querySelectorAll('#agenda-month button.in-range')].map((b) => b.dataset.date)")
        assert shown == [(monday + datetime.timedelta(days=i)).isoformat() for i in range(7)], shown


@test
def agenda_event_opens_its_details_by_keyboard_with_the_boilerplate_folded():
    with Agenda() as w:
        show_agenda(w, w.day)
        button = w.js("""
            const li = [...document.querySelectorAll('#agenda-list li[data-testid="agenda-item"]')]
              .find((n) => n.querySelector('.summary').textContent === 'Solo review');
            const b = li.querySelector('button.event-open'); b.focus(); return document.activeElement === b;""")
        assert button, "the event block is not focusable"
        press(w, "\ue007")
        wait_for(lambda: w.js("return document.getElementById('event-details').open"), 5, "the details dialog")
        assert w.js("return document.activeElement.id") == "event-details-title"
        text = w.text("#event-details")
        assert "Solo review" in text and "2 attendees" in text and "Dana Organizer <dana@example.com>" in text, text
        assert w.text('[data-testid="details-description"]') == "Agenda: the Q3 numbers.", text
        folded = w.js("const d = document.querySelector('[data-testid=\"details-boilerplate\"]');"
                      " return [d.open, d.textContent.includes('Meeting ID:'), d.querySelector('div').checkVisibility()]")
        assert folded == [False, True, False], f"the dial-in block is not folded away (open, holds it, visible): {folded}"
        w.click('[data-testid="details-boilerplate"] summary')
        assert w.js("return document.querySelector('[data-testid=\"details-boilerplate\"] div').checkVisibility()"), \
            "the dial-in block does not unfold"
        w.click('[data-testid="details-boilerplate"] summary')
        assert w.find_all('#event-details [data-testid="join"]'), "no Join in the details"
        screenshot(w, "agenda-details")
        press(w, "\ue00c")  # Escape
        wait_for(lambda: not w.js("return document.getElementById('event-details').open"), 5, "the dialog to close")
        assert w.js("return document.activeElement.closest('li[data-testid=\"agenda-item\"]')"
                    ".querySelector('.summary').textContent") == "Solo review", "the focus did not come back"


@test
def window_navigation_moves_the_focus_to_the_pages_heading():
    with Agenda() as w:
        for page, heading in [*PAGES.items(), ("next", PAGES["next"])]:
            w.go(page)
            focused = w.js("return document.activeElement && document.activeElement.id")
            assert focused == heading, f"after going to {page} the focus is on {focused!r}, not #{heading}"


def page_screenshots(scheme, env):
    """Every page (and the agenda's week and details) in one colour scheme."""
    with Agenda(env=env) as w:
        dark = w.js("return matchMedia('(prefers-color-scheme: dark)').matches")
        assert dark is (scheme == "dark"), f"{scheme}: prefers-color-scheme dark is {dark} with {env}"
        background = w.js("return getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(17, 24, 39)" if dark else "rgb(255, 255, 255)"), f"{scheme}: body {background}"
        for page in PAGES:
            w.go(page)
            if page == "agenda":
                show_agenda(w, w.day, "week")
                scroll_to_hour(w, 8.5)
            time.sleep(0.5)  # the page's data
            screenshot(w, f"page-{page}-{scheme}")
        w.go("agenda")
        w.js("[...document.querySelectorAll('#agenda-list button.event-open')]"
             ".find((b) => b.textContent.includes('Solo review')).click()")
        wait_for(lambda: w.js("return document.getElementById('event-details').open"), 5, "the details dialog")
        screenshot(w, f"page-agenda-details-{scheme}")


@test
def screenshots_of_every_page_in_light_and_dark():
    # WebKitGTK follows the GTK theme's variant for prefers-color-scheme.
    page_screenshots("light", {"GTK_THEME": "Adwaita"})
    page_screenshots("dark", {"GTK_THEME": "Adwaita:dark"})
    assert os.path.exists(os.path.join(OUT, "page-agenda-dark.png"))


