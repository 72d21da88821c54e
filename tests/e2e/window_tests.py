"""WebDriver tests of the window (WebKitWebDriver driving the real binary)."""
import base64
import datetime
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from desktop import App, APP_BIN, BIN, OUT, run, test, wait_for, wait_opened

# tauri-plugin-single-instance's name on the session bus (from the bundle identifier).
INSTANCE_NAME = "org.calendarbot.app.SingleInstance"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C web element identifier
XSS_SUMMARY = "<img src=x onerror=alert(1)>"


class WebDriverError(Exception):
    def __init__(self, status, error, message):
        super().__init__(f"HTTP {status}: {error}: {message}")
        self.status, self.error, self.message = status, error, message


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Window:
    """A WebKitWebDriver process and one session on the real binary (W3C WebDriver, stdlib only)."""

    def __init__(self, data_dir, env=None):
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.session = None
        self.log = open(os.path.join(data_dir, "webdriver.log"), "w")
        self.driver = subprocess.Popen(
            ["WebKitWebDriver", f"--port={self.port}", "--host=127.0.0.1"],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, TAURI_WEBVIEW_AUTOMATION="true", **(env or {})))

    def request(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            try:
                value = json.loads(e.read()).get("value") or {}
            except ValueError:
                value = {}
            raise WebDriverError(e.code, value.get("error"), value.get("message")) from None

    def start(self):
        wait_for(lambda: self._status(), 20, "WebKitWebDriver to listen")
        # A copy of the app still on the bus would take over the launch and the session would hang.
        wait_for(lambda: run("busctl", "--user", "status", INSTANCE_NAME, check=False).returncode != 0,
                 15, f"{INSTANCE_NAME} to leave the session bus")
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {
            "binary": os.path.abspath(BIN), "args": ["--data-dir", self.data_dir, "--show"]}}}}
        try:
            self.session = self.request("POST", "/session", caps, timeout=60)["sessionId"]
        except Exception as e:
            raise AssertionError(f"no WebDriver session ({e}); app pids {self.app_pids()}; "
                                 f"WebKitWebDriver log:\n{self.logs()[-2000:]}") from e
        # The page script runs show('next') on load: wait until the UI is wired up.
        wait_for(lambda: self.js("return document.body.dataset.page") == "next", 30, "the window's page script")
        return self

    def _status(self):
        if self.driver.poll() is not None:
            raise AssertionError(f"WebKitWebDriver exited with {self.driver.returncode}")
        return self.request("GET", "/status", timeout=2) is not None

    def close(self):
        try:
            if self.session:
                try:
                    self.request("DELETE", f"/session/{self.session}", timeout=30)
                except Exception:
                    pass
                self.session = None
            # The single-instance plugin's D-Bus name is per user, not per data folder: an
            # app still alive here would swallow the next test's launch (its session hangs).
            self._end_app()
        finally:
            if self.driver.poll() is None:
                self.driver.terminate()
                try:
                    self.driver.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.driver.kill()
                    self.driver.wait()
            self.log.close()

    def app_pids(self):
        """Pids of the app processes WebKitWebDriver started on this test's data folder."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                with open(f"/proc/{entry}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            # `calendarbot` becomes `calendarbot-app` beside it (exec, same pid).
            if state != "Z" and argv[0] in (os.path.abspath(BIN).encode(), os.path.abspath(APP_BIN).encode()) \
                    and self.data_dir.encode() in argv:
                pids.append(int(entry))
        return pids

    def _end_app(self):
        try:
            wait_for(lambda: not self.app_pids(), 10, "the app to exit after the session ended")
        except AssertionError:
            for pid in self.app_pids():
                os.kill(pid, signal.SIGTERM)
            try:
                wait_for(lambda: not self.app_pids(), 10, "the app to exit on SIGTERM")
            except AssertionError:
                for pid in self.app_pids():
                    os.kill(pid, signal.SIGKILL)

    # ---- W3C commands ----
    def s(self, path):
        return f"/session/{self.session}{path}"

    def find(self, css):
        v = self.request("POST", self.s("/element"), {"using": "css selector", "value": css})
        assert isinstance(v, dict) and ELEMENT in v, f"find {css!r}: {v!r}"
        return v[ELEMENT]

    def find_all(self, css):
        return [e[ELEMENT] for e in self.request("POST", self.s("/elements"), {"using": "css selector", "value": css})]

    def on_element(self, css, method, what, body=None):
        """`method` on the element `css` finds now. A page that re-renders between the
        find and the call (Diagnostics and the agenda redraw on their own) leaves a
        stale reference: the element is found again, a few times, as a user's eye would."""
        for attempt in range(5):
            try:
                return self.request(method, self.s(f"/element/{self.find(css)}/{what}"), body)
            except WebDriverError as e:
                if e.error != "stale element reference" or attempt == 4:
                    raise
                time.sleep(0.1)

    def click(self, css):
        self.on_element(css, "POST", "click", {})

    def type(self, css, text, clear=True):
        eid = self.find(css)
        if clear:
            self.request("POST", self.s(f"/element/{eid}/clear"), {})
        self.request("POST", self.s(f"/element/{eid}/value"), {"text": text})

    def text(self, css):
        return self.on_element(css, "GET", "text")

    def texts(self, css):
        return [self.request("GET", self.s(f"/element/{e}/text")) for e in self.find_all(css)]

    def js(self, script, *args):
        return self.request("POST", self.s("/execute/sync"), {"script": script, "args": list(args)})

    def go(self, page):
        self.click(f'nav button[data-page="{page}"]')
        wait_for(lambda: self.js(f"return !document.getElementById('page-{page}').hidden"), 5, f"the {page} page")

    def screenshot(self, name):
        png = base64.b64decode(self.request("GET", self.s("/screenshot")))
        assert png.startswith(b"\x89PNG"), "the screenshot is not a PNG"
        path = os.path.join(OUT, f"{name}.png")
        with open(path, "wb") as f:
            f.write(png)
        return path

    def alert_text(self):
        return self.request("GET", self.s("/alert/text"))

    def logs(self):
        with open(os.path.join(self.data_dir, "webdriver.log")) as f:
            return f.read()


def ics_event(uid, summary, start_epoch, minutes=60, extra=""):
    fmt = "%Y%m%dT%H%M%SZ"
    start = time.strftime(fmt, time.gmtime(start_epoch))
    end = time.strftime(fmt, time.gmtime(start_epoch + minutes * 60))
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\n")


def tomorrow_at(hour):
    """Epoch seconds of tomorrow (UTC) at `hour`:00 UTC."""
    now = time.time()
    return (int(now) // 86400 + 1) * 86400 + hour * 3600


def no_alert(w):
    try:
        text = w.alert_text()
    except WebDriverError as e:
        assert e.error == "no such alert", e
        return
    raise AssertionError(f"an alert is open: {text!r}")


@test
def window_adds_a_local_source_and_shows_its_events():
    # The window takes local calendars only from the home folder.
    with tempfile.TemporaryDirectory(prefix="calendarbot-wd-") as data_dir, \
            tempfile.TemporaryDirectory(prefix=".calendarbot-e2e-", dir=os.path.expanduser("~")) as home_dir:
        feed = os.path.join(home_dir, "feed.ics")
        start = tomorrow_at(10)
        with open(feed, "w", newline="") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n"
                    + ics_event("wd-plan@test", "WebDriver planning", start,
                                extra="LOCATION:https://meet.google.com/wd-test-xyz\r\n")
                    + ics_event("wd-xss@test", XSS_SUMMARY, start + 2 * 3600, extra="URL:javascript:alert(1)\r\n")
                    + "END:VCALENDAR\r\n")
        opened = os.path.join(data_dir, "opened.txt")
        w = Window(data_dir, env={"CALENDARBOT_OPEN_LOG": opened})
        try:
            w.start()
            w.go("sources")
            w.type("#source-location", feed)
            w.type("#source-name", "Local")
            w.click("#source-add")
            wait_for(lambda: any("Local" in w.js("return arguments[0].value", {ELEMENT: e})
                                 for e in w.find_all('li[data-testid="source"] [data-testid="source-name-edit"]')),
                     20, "the Local calendar in the list")
            assert "Added" in w.text("#source-form-status"), w.text("#source-form-status")
            # Wait for the first fetch of the file to land in the list's health line.
            wait_for(lambda: "2 events" in w.text('li[data-testid="source"]'), 30, "the source's 2 events")

            # Its own reminder lead time, then no reminders at all, read back by the CLI.
            def listed():
                out = run(BIN, "--data-dir", data_dir, "sources", "list", "--format", "json").stdout
                return json.loads(out)[0]
            w.type('li[data-testid="source"] [data-testid="source-lead"]', "15")
            w.js("document.activeElement.blur()")  # leaving the field commits it
            wait_for(lambda: listed()["lead_minutes"] == 15, 10, "lead_minutes 15 through the CLI")
            w.click('li[data-testid="source"] [data-testid="source-reminders"]')
            wait_for(lambda: listed()["muted"] is True, 10, "the calendar muted through the CLI")
            assert w.js("return document.querySelector('[data-testid=\"source-lead\"]').disabled") is True
            w.screenshot("sources")

            # What's next lists the coming 8 days.
            w.go("next")
            wait_for(lambda: any("WebDriver planning" in t for t in w.texts("#upcoming li")), 20,
                     "WebDriver planning under Coming up")

            # The agenda, day view: Next until the event's day (tomorrow, in local time), each
            # step read back from the header, which moves at once; then the day's items,
            # however long its load takes. (Pressing Next again whenever a short wait for the
            # items ran out went past the day when the machine was slow.)
            w.go("agenda")
            wait_for(lambda: w.find_all("#agenda-list section.day"), 10, "the agenda to render")
            event_day = datetime.date.fromtimestamp(start).isoformat()

            def shown_day():
                return w.js("return document.getElementById('agenda-list').dataset.from")
            for _ in range(3):
                before = shown_day()
                if before >= event_day:
                    break
                w.click("#agenda-next")
                wait_for(lambda: shown_day() != before, 5, f"the day after {before}")
            try:
                items = wait_for(lambda: [t for t in w.texts('li[data-testid="agenda-item"]')
                                          if "WebDriver planning" in t] and w.texts('li[data-testid="agenda-item"]'),
                                 20, f"WebDriver planning in the agenda on {event_day}")
            except AssertionError:
                items = w.texts('li[data-testid="agenda-item"]')
            plan = [t for t in items if "WebDriver planning" in t]
            xss = [t for t in items if XSS_SUMMARY in t]
            assert plan, f"WebDriver planning not in the agenda: {items}"
            assert xss, f"the hostile summary is not shown literally: {items}"
            w.screenshot("agenda")

            # The summary stayed text: no <img src=x> in the DOM, no alert.
            imgs = w.js("return Array.from(document.querySelectorAll('img')).filter("
                        "(i) => i.getAttribute('src') === 'x').length")
            assert imgs == 0, f"{imgs} injected <img src=x> in the page"
            no_alert(w)

            # A meet link gets a Join button; a javascript: URL does not.
            joins = w.js("""
                const out = {};
                for (const li of document.querySelectorAll('#agenda-list li[data-testid="agenda-item"]')) {
                  out[li.querySelector('.summary').textContent] = !!li.querySelector('[data-testid="join"]');
                }
                return out;""")
            assert joins.get("WebDriver planning") is True, f"no Join button for the meet link: {joins}"
            assert joins.get(XSS_SUMMARY) is False, f"a Join button for a javascript: URL: {joins}"

            # Join opens the meeting link through Rust (logged to CALENDARBOT_OPEN_LOG here).
            w.click('#agenda-list li[data-testid="agenda-item"] [data-testid="join"]')
            assert wait_opened(opened, 10, "Join to open the link") == ["https://meet.google.com/wd-test-xyz"]
            no_alert(w)
        finally:
            w.close()


class Radicale:
    """A real CalDAV server (Radicale) on 127.0.0.1 with one user, for the Add account form."""

    USER, PASSWORD = "alice", "app-pass-e2e"

    def __init__(self, root):
        self.port = free_port()
        users = os.path.join(root, "users")
        with open(users, "w") as f:
            f.write(f"{self.USER}:{self.PASSWORD}\n")
        config = os.path.join(root, "config")
        with open(config, "w") as f:
            f.write(f"[server]\nhosts = 127.0.0.1:{self.port}\n"
                    f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n"
                    f"[storage]\nfilesystem_folder = {os.path.join(root, 'collections')}\n")
        self.log = open(os.path.join(root, "radicale.log"), "w")
        self.proc = subprocess.Popen(["radicale", "--config", config], stdout=self.log, stderr=subprocess.STDOUT)
        self.address = f"http://127.0.0.1:{self.port}/"

        def listening():
            assert self.proc.poll() is None, "radicale exited"
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_for(listening, 30, "radicale to listen")

    def request(self, method, path, body, content_type):
        token = base64.b64encode(f"{self.USER}:{self.PASSWORD}".encode()).decode()
        req = urllib.request.Request(self.address.rstrip("/") + path, data=body.encode(), method=method,
                                     headers={"Content-Type": content_type, "Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status

    def mkcalendar(self, name, display, color):
        path = f"/{self.USER}/{name}/"
        body = ('<?xml version="1.0" encoding="utf-8"?><c:mkcalendar xmlns:d="DAV:" '
                'xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:x="http://apple.com/ns/ical/"><d:set><d:prop>'
                f'<d:displayname>{display}</d:displayname><x:calendar-color>{color}</x:calendar-color>'
                '<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>'
                '</d:prop></d:set></c:mkcalendar>')
        assert self.request("MKCALENDAR", path, body, "application/xml") == 201
        return path

    def put_event(self, cal, uid, summary, start_epoch):
        body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n" + ics_event(uid, summary, start_epoch) \
            + "END:VCALENDAR\r\n"
        assert self.request("PUT", f"{cal}{uid}.ics", body, "text/calendar; charset=utf-8") in (201, 204)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


@test
def window_adds_a_caldav_account_with_the_calendars_ticked():
    with tempfile.TemporaryDirectory(prefix="calendarbot-wd-") as data_dir, \
            tempfile.TemporaryDirectory(prefix="calendarbot-dav-") as dav_dir:
        server = Radicale(dav_dir)
        work = server.mkcalendar("work", "Work", "#FF8800FF")
        server.mkcalendar("home", "Home", "#3366CC")
        server.put_event(work, "dav-standup@test", "CalDAV standup", tomorrow_at(9))
        w = Window(data_dir)
        try:
            w.start()
            w.go("sources")

            def fill():
                w.type("#account-address", server.address)
                w.type("#account-user", server.USER)
                w.type("#account-password", server.PASSWORD)

            # A server on this computer is refused from the window until the CLI allows it.
            fill()
            w.click("#account-test")
            try:
                wait_for(lambda: "not allowed from the window" in w.text("#account-form-status"), 15,
                         "the local-network refusal")
            except AssertionError as e:
                raise AssertionError(f"{e}; the form says {w.text('#account-form-status')!r}") from None
            assert w.js("return document.getElementById('account-calendars').hidden") is True
            run(BIN, "--data-dir", data_dir, "settings", "set", "fetch.allow_local_network", "true")

            # A wrong password is said in words; nothing is listed.
            w.type("#account-password", "wrong")
            w.click("#account-test")
            wait_for(lambda: "refused the user name or password" in w.text("#account-form-status"), 15,
                     "the wrong-password message")
            assert "wrong" not in w.text("#account-form-status")

            fill()
            w.click("#account-test")
            wait_for(lambda: len(w.find_all("#account-calendar-list li")) == 2, 20, "the account's two calendars")
            listed = w.js("""
                return [...document.querySelectorAll('#account-calendar-list li')].map((li) => ({
                  text: li.textContent, checked: li.querySelector('input').checked,
                  color: getComputedStyle(li.querySelector('.dot')).backgroundColor }));""")
            assert [c["text"] for c in listed] == ["Work", "Home"], listed
            assert all(c["checked"] for c in listed), listed
            assert [c["color"] for c in listed] == ["rgb(255, 136, 0)", "rgb(51, 102, 204)"], listed
            # The shot shows the listed calendars with their colours and boxes.
            w.js("document.getElementById('account-calendar-list').scrollIntoView({ block: 'center' })")
            w.screenshot("sources-account")

            # Only Work is added; it appears as a CalDAV calendar with its colour and its event.
            w.click("#account-calendar-list li:nth-child(2) input")
            w.click("#account-add")
            wait_for(lambda: "Added “Work”" in w.text("#account-form-status"), 20, "Work to be added")
            out = json.loads(run(BIN, "--data-dir", data_dir, "sources", "list", "--format", "json").stdout)
            assert [(s["name"], s["kind"], s["color"]) for s in out] == [("Work", "caldav", "#FF8800")], out
            assert w.js("return document.getElementById('account-password').value") == ""
            wait_for(lambda: "1 event" in w.text('li[data-testid="source"]'), 30, "Work's first sync")
            assert "CalDAV account" in w.text('li[data-testid="source"]'), w.text('li[data-testid="source"]')
            w.go("next")
            wait_for(lambda: any("CalDAV standup" in t for t in w.texts("#upcoming li")), 20,
                     "the CalDAV event under Coming up")
        finally:
            w.close()
            server.stop()


@test
def window_tray_and_cli_write_times_in_the_same_clock_under_two_locales():
    """One formatter (core timefmt) for the tray headline, `calendarbot next` and the
    window: 12 hours under en_US, 24 under de_DE, in every surface alike."""
    start = tomorrow_at(14) + 30 * 60  # 14:30 UTC tomorrow
    for lang, want, unwanted in (("en_US.UTF-8", "2:30 PM", "14:30"), ("de_DE.UTF-8", "14:30", "PM")):
        with tempfile.TemporaryDirectory(prefix="calendarbot-wd-") as data_dir:
            feed = os.path.join(data_dir, "feed.ics")
            with open(feed, "w", newline="") as f:
                f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n"
                        + ics_event("clock@test", "Clock check", start) + "END:VCALENDAR\r\n")
            env = {"LANG": lang, "LC_ALL": lang, "TZ": "UTC"}
            cli_env = dict(os.environ, **env)
            run(BIN, "--data-dir", data_dir, "sources", "add", feed, "--name", "Local", env=cli_env)
            run(BIN, "--data-dir", data_dir, "sync", env=cli_env)
            cli = run(BIN, "--data-dir", data_dir, "next", env=cli_env).stdout.strip()
            assert want in cli and unwanted not in cli, f"{lang}: calendarbot next says {cli!r}"
            listed = run(BIN, "--data-dir", data_dir, "agenda", env=cli_env).stdout
            line = [l for l in listed.splitlines() if "Clock check" in l]
            assert line and want in line[0] and unwanted not in line[0], f"{lang}: calendarbot agenda says {listed!r}"
            w = Window(data_dir, env=env)
            try:
                w.start()
                wait_for(lambda: w.text("#headline") == cli, 15, f"{lang}: the window's headline {cli!r}")
                row = wait_for(lambda: [t for t in w.texts("#upcoming li") if "Clock check" in t], 15,
                               "the event under Coming up")[0]
                assert want in row and unwanted not in row, f"{lang}: the window says {row!r}"
                w.screenshot(f"next-{lang.split('.')[0]}")
            finally:
                w.close()


@test
def window_changes_a_setting_and_shows_diagnostics():
    with tempfile.TemporaryDirectory(prefix="calendarbot-wd-") as data_dir:
        app = App(data_dir=data_dir)
        w = Window(data_dir)
        try:
            w.start()
            w.go("settings")
            css = '[data-testid="setting"][data-key="notify.lead_minutes"]'
            wait_for(lambda: w.find_all(css), 10, "the notify.lead_minutes control")
            assert w.js(f"return document.querySelector('{css}').value") != "10"
            # Saved on 'change'. (WebDriver's clear would commit an empty value first,
            # which is refused and put back: the value is set as one edit instead.)
            def enter(value):
                w.js("const i = document.querySelector(arguments[0]); i.value = arguments[1];"
                     "i.dispatchEvent(new Event('change'))", css, value)
            enter("10")
            wait_for(lambda: w.text("#setting-notify-lead_minutes-status") == "Saved.", 10,
                     "the setting to be saved")
            shown = w.js(f"return document.querySelector('{css}').value")
            assert shown == "10", shown
            wait_for(lambda: app.cli("settings", "get", "notify.lead_minutes").stdout.strip() == "10", 10,
                     "the CLI to read notify.lead_minutes = 10")

            # Grouped under headings for people, labelled in words, not by key.
            # Read in one script: a saved setting re-renders the page (the app sees the change).
            headings = w.js("return [...document.querySelectorAll('#settings-list .settings-group > h3')]"
                            ".map((h) => h.textContent)")
            assert headings == ["Reminders", "Calendars", "Appearance", "Advanced"], headings
            label = w.js(f"const i = document.querySelector('{css}'); "
                         "return document.querySelector(`label[for=\"${i.id}\"]`).textContent")
            assert label == "Remind me before", label
            advanced = w.js("return document.querySelector('.settings-group[data-group=\"advanced\"]').textContent")
            assert "Pause after failures" in advanced and "Start at login" in advanced, advanced

            # A refused value: the reason in words next to the field, the field back to the value in force.
            enter("2000")
            wait_for(lambda: "between 0 and 1440" in w.text("#setting-notify-lead_minutes-status"), 10,
                     "the refusal in words")
            refusal = w.js("return document.getElementById('setting-notify-lead_minutes-status').textContent")
            assert "..=" not in refusal and "notify.lead_minutes" not in refusal, refusal
            assert w.js(f"return document.querySelector('{css}').value") == "10"
            assert app.cli("settings", "get", "notify.lead_minutes").stdout.strip() == "10"
            w.screenshot("settings")

            # The join shortcut: typed as people write it, shown canonical; a bare key is
            # refused in words and the field goes back.
            sc = '[data-testid="setting"][data-key="app.join_shortcut"]'
            assert w.js(f"const i = document.querySelector('{sc}'); return [i.type, i.placeholder]") == \
                ["text", "Ctrl+Alt+J"]

            def enter_shortcut(value):
                w.js("const i = document.querySelector(arguments[0]); i.value = arguments[1];"
                     "i.dispatchEvent(new Event('change'))", sc, value)
            enter_shortcut("alt+ctrl+k")
            wait_for(lambda: w.js(f"return document.querySelector('{sc}').value") == "Ctrl+Alt+K", 10,
                     "the shortcut shown canonical")
            enter_shortcut("K")
            wait_for(lambda: "needs at least one of Ctrl" in w.text("#setting-app-join_shortcut-status"), 10,
                     "the shortcut's refusal in words")
            assert w.js(f"return document.querySelector('{sc}').value") == "Ctrl+Alt+K"
            reminders = w.js("return document.querySelector('.settings-group[data-group=\"reminders\"]').textContent")
            for label in ("Keep reminding until I act", "Big reminder window at the start", "Join shortcut",
                          "Never remind of titles"):
                assert label in reminders, (label, reminders)

            w.go("diagnostics")
            wait_for(lambda: w.find_all("#diag-memory dd"), 10, "the memory figures")
            memory = w.text("#diag-memory")
            assert "Resident memory" in memory, memory
            figure = w.js("""
                const dts = [...document.querySelectorAll('#diag-memory dt')];
                const dt = dts.find((d) => d.textContent === 'Resident memory');
                return dt ? dt.nextElementSibling.textContent : null;""")
            assert figure and any(c.isdigit() for c in figure) and any(u in figure for u in ("B", "KB", "MB", "GB", "KiB", "MiB")), figure
            w.screenshot("diagnostics")
        finally:
            w.close()


class FeedServer:
    """An HTTP server on 127.0.0.1 answering by path: a calendar with its own name, a 404."""

    TEAM = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nX-WR-CALNAME:Team Standups\r\n"
            + ics_event("team@test", "Standup", tomorrow_at(9)) + "END:VCALENDAR\r\n")

    def __init__(self):
        import http.server
        import threading
        team = self.TEAM.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/team.ics":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/calendar")
                    self.send_header("Content-Length", str(len(team)))
                    self.end_headers()
                    self.wfile.write(team)
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def source_names(w):
    return [w.js("return arguments[0].value", {ELEMENT: e})
            for e in w.find_all('li[data-testid="source"] [data-testid="source-name-edit"]')]


def form_state(w):
    """The Add form's status line, whether Add is enabled and whether "Add anyway" shows, in one read."""
    return w.js("return [document.getElementById('source-form-status').textContent,"
                " document.getElementById('source-add').disabled,"
                " !document.getElementById('source-add-anyway').hidden]")


@test
def window_refuses_a_broken_feed_in_words_and_adds_it_anyway():
    """Test connection and Add run one probe: a 404 is refused in words, Add is not left
    enabled after the failed test, "Add anyway" adds it; a good feed is named after its
    X-WR-CALNAME. Screenshots of the refusal in light and dark."""
    server = FeedServer()
    try:
        for scheme, theme in (("light", "Adwaita"), ("dark", "Adwaita:dark")):
            with tempfile.TemporaryDirectory(prefix="calendarbot-wd-") as data_dir:
                # Addresses on this computer are refused from the window unless allowed (by the CLI only).
                run(BIN, "--data-dir", data_dir, "settings", "set", "fetch.allow_local_network", "true")
                w = Window(data_dir, env={"GTK_THEME": theme})
                try:
                    w.start()
                    w.go("sources")
                    w.type("#source-location", server.base + "/gone.ics")
                    w.click("#source-test")
                    text, add_disabled, anyway = wait_for(
                        lambda: (lambda s: s if "did not work" in s[0] else None)(form_state(w)), 20,
                        "the failed test in words")
                    assert "404" in text and "link may have changed" in text, text
                    assert add_disabled is True, "Add is left enabled after a failed test"
                    assert anyway is True, "no Add anyway next to the refusal"
                    # The shot shows the refusal in words with its Add anyway button.
                    w.js("document.getElementById('source-form-status').scrollIntoView({ block: 'center' })")
                    w.screenshot(f"sources-refusal-{scheme}")
                    if scheme == "dark":
                        continue
                    # Editing the address gives Add back; Add itself refuses the broken feed too.
                    w.type("#source-location", server.base + "/gone.ics?again")
                    assert form_state(w)[1:] == [False, False], form_state(w)
                    w.click("#source-add")
                    text, _, anyway = wait_for(
                        lambda: (lambda s: s if "Not added" in s[0] else None)(form_state(w)), 20,
                        "Add's refusal in words")
                    assert "did not answer with a calendar" in text and anyway, (text, anyway)
                    w.screenshot("sources-add-refused-light")
                    out = json.loads(run(BIN, "--data-dir", data_dir, "sources", "list", "--format", "json").stdout)
                    assert out == [], f"a refused feed was stored: {out}"
                    w.click("#source-add-anyway")
                    wait_for(lambda: source_names(w) == ["127.0.0.1"], 20, "the broken feed added anyway")
                    assert "Added “127.0.0.1”" in w.text("#source-form-status"), w.text("#source-form-status")
                    # A good feed: Test says its name, Add names it so.
                    w.type("#source-location", server.base + "/team.ics")
                    w.click("#source-test")
                    wait_for(lambda: "Connection works" in form_state(w)[0], 20, "the test to pass")
                    assert "Team Standups" in form_state(w)[0], form_state(w)
                    w.click("#source-add")
                    wait_for(lambda: source_names(w) == ["127.0.0.1", "Team Standups"], 20,
                             "the feed added under its X-WR-CALNAME")
                    w.screenshot("sources-added-light")
                finally:
                    w.close()
    finally:
        server.stop()


def xdotool(*args, check=True):
    return run("xdotool", *args, check=check)


@test
def window_chooses_a_local_file_with_the_file_chooser():
    """"Choose file…" opens the GTK file chooser (driven with xdotool: Ctrl+L, a typed
    path, Enter); the chosen file may be outside the home folder and is added under its
    X-WR-CALNAME, while the same path typed in the field is refused."""
    with tempfile.TemporaryDirectory(prefix="calendarbot-wd-") as data_dir, \
            tempfile.TemporaryDirectory(prefix="calendarbot-chosen-", dir="/tmp") as outside:
        feed = os.path.join(outside, "exported.ics")
        with open(feed, "w", newline="") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nX-WR-CALNAME:Chosen calendar\r\n"
                    + ics_event("chosen@test", "Chosen meeting", tomorrow_at(11)) + "END:VCALENDAR\r\n")
        w = Window(data_dir)
        try:
            w.start()
            w.go("sources")
            # Typed, a file outside home is refused.
            w.type("#source-location", feed)
            w.click("#source-add")
            wait_for(lambda: "home folder" in form_state(w)[0], 20, "the typed path refused")
            w.type("#source-location", "to be chosen")

            # GTK keeps a closed dialog's window unmapped: only visible ones count.
            def chooser_windows():
                return xdotool("search", "--onlyvisible", "--name", "Choose a calendar file", check=False).stdout.split()

            def press_until_closed(wid, key):
                if wid not in chooser_windows():
                    return True
                xdotool("key", key)
                return False

            # Cancelled (Escape): nothing changes.
            w.click("#source-choose")
            wid = wait_for(chooser_windows, 20, "the file chooser")[0]
            wait_for(lambda: press_until_closed(wid, "Escape"), 20, "the chooser to close on Escape", interval=0.5)
            wait_for(lambda: not w.js("return document.getElementById('source-choose').disabled"), 10,
                     "the form to be idle again")
            assert w.js("return document.getElementById('source-location').value") == "to be chosen"
            assert "File chosen" not in form_state(w)[0], form_state(w)

            w.click("#source-choose")
            wid = wait_for(chooser_windows, 20, "the file chooser")[0]
            xdotool("windowfocus", "--sync", wid, check=False)
            screenshot_path = os.path.join(OUT, "sources-file-chooser.png")
            run("import", "-window", "root", screenshot_path)
            xdotool("key", "--clearmodifiers", "ctrl+l")
            xdotool("type", "--delay", "20", feed)
            # GTK takes Enter only once the typed path is checked (Open greys out until then):
            # press it until the dialog is gone.
            wait_for(lambda: press_until_closed(wid, "Return"), 20, "the chooser to take the typed path", interval=0.5)
            real = os.path.realpath(feed)
            wait_for(lambda: "File chosen" in form_state(w)[0], 20, "the chooser's answer")
            assert w.js("return document.getElementById('source-location').value") == real
            w.click("#source-add")
            wait_for(lambda: source_names(w) == ["Chosen calendar"], 20, "the chosen file added")
            out = json.loads(run(BIN, "--data-dir", data_dir, "sources", "list", "--format", "json").stdout)
            assert out[0]["display"] == real, out
        finally:
            w.close()
