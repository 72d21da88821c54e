"""App-level figures against PRODUCT.md: start to populated tray (from the cache),
anonymous memory with the window never opened, idle wake-ups per minute, and memory
with the window open and 60 s after it closed. Run by scripts/bench.sh inside Xvfb and
a session bus. Prints figures; asserts nothing about them."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from desktop import App, wait_for, window_ids  # noqa: E402


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if "ctxt_switches" in line:
                    total += int(line.split()[1])
    return total


def webkit_children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid), "-f", "WebKit"], capture_output=True, text=True).stdout
    return out.split()


def main():
    dunst = subprocess.Popen(["dunst"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = App()
    feed = os.path.join(app.data_dir, "feed.ics")
    gen = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools", "gen_ics.py")
    subprocess.run([sys.executable, gen, "2000", feed], check=True, capture_output=True)
    app.cli("sources", "add", feed, "--name", "Bench")
    app.cli("sync")
    try:
        t0 = time.monotonic()
        app.start(wait_tray=False)
        wait_for(app._find_menu, 30, "tray on D-Bus", interval=0.005)
        wait_for(lambda: len(app.menu()) > 8, 30, "events in the tray menu", interval=0.005)
        started = (time.monotonic() - t0) * 1000
        print(f"start to populated tray (cache, 2000-event feed): {started:.0f} ms   (target <= 250 ms warm)")
        time.sleep(10)
        pid = app.proc.pid
        print(f"anonymous memory, tray only: {status_kb(pid, 'RssAnon') / 1024:.1f} MB   (target <= 35 MB); "
              f"WebKit processes: {len(webkit_children(pid))}")
        s0 = switches(pid)
        time.sleep(60)
        print(f"idle wake-ups (context switches of all threads) per minute: {switches(pid) - s0}   (target <= 1 caused by our code)")
        app.click("Open CalendarBot")
        wait_for(window_ids, 20, "window")
        time.sleep(5)
        print(f"window open: anonymous {status_kb(pid, 'RssAnon') / 1024:.1f} MB, WebKit processes: {len(webkit_children(pid))}")
        subprocess.run(["xdotool", "search", "--name", "^CalendarBot$", "windowclose"], check=False)
        time.sleep(60)
        print(f"60 s after close: anonymous {status_kb(pid, 'RssAnon') / 1024:.1f} MB, "
              f"WebKit processes: {len(webkit_children(pid))}   (target: none)")
    finally:
        app.stop()
        dunst.terminate()


if __name__ == "__main__":
    main()
