#!/usr/bin/env python3
"""The Python stack `make bench` compares `calendarbot agenda` with: icalendar parses the
feed, recurring-ical-events expands it over the same window, and each occurrence is
written as one JSON line (uid, summary, start, end, location), as `--format jsonl` does.

    target/pyenv/bin/python scripts/bench_python_agenda.py FEED FROM TO > /dev/null
"""
import json
import sys
from datetime import datetime, timezone

import icalendar
import recurring_ical_events


def main():
    # The window as `calendarbot agenda --tz UTC` reads it: midnight UTC at both ends (plain
    # dates would be taken in each event's own zone, another window at the edges).
    begin, end = (datetime.fromisoformat(d).replace(tzinfo=timezone.utc) for d in sys.argv[2:4])
    path = sys.argv[1]
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    out = sys.stdout
    for ev in recurring_ical_events.of(cal).between(begin, end):
        s = ev["DTSTART"].dt
        e = ev["DTEND"].dt if "DTEND" in ev else s
        out.write(json.dumps({"uid": str(ev["UID"]), "summary": str(ev.get("SUMMARY", "")),
                              "start": s.isoformat(), "end": e.isoformat(),
                              "location": str(ev.get("LOCATION", ""))}) + "\n")


if __name__ == "__main__":
    main()
