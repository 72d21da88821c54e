//! The demo calendar shipped inside the binary, shown when no source is configured.
//!
//! Its meetings recur every working day in floating local time since 2024, so it has
//! upcoming events whatever the date and reads naturally in any time zone. It is built
//! with the icalendar crate's builder (a table of meetings, not a hand-written file) and
//! then parsed by the same engine as any source, so the demo exercises the real path.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use icalendar::{Calendar, Component, Event, EventLike};

/// The name it is shown under.
pub const DEMO_NAME: &str = "Demo calendar";

/// One demo meeting: (uid, start time, minutes, weekdays, summary, location, description, free).
type Meeting = (
    &'static str,
    (u32, u32),
    u32,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

const MEETINGS: &[Meeting] = &[
    (
        "standup",
        (9, 30),
        15,
        "MO,TU,WE,TH,FR",
        "Daily standup",
        Some("Google Meet"),
        None,
        false,
    ),
    (
        "design-review",
        (11, 0),
        60,
        "TU,TH",
        "Design review",
        Some("Room 4.12"),
        None,
        false,
    ),
    (
        "lunch",
        (12, 30),
        60,
        "MO,TU,WE,TH,FR",
        "Lunch",
        None,
        None,
        true,
    ),
    (
        "customer-call",
        (14, 0),
        45,
        "MO,WE,FR",
        "Customer call",
        None,
        Some("Join Zoom Meeting\nhttps://zoom.us/j/1234567890"),
        false,
    ),
    (
        "one-on-one",
        (15, 30),
        30,
        "TH",
        "1:1 with Alex",
        None,
        None,
        false,
    ),
    (
        "team-sync",
        (16, 30),
        30,
        "MO,TU,WE,TH,FR",
        "Team sync",
        Some("https://teams.microsoft.com/l/meetup-join/demo"),
        None,
        false,
    ),
];

/// The standup's video link (on its own URL line, as Google writes it).
const STANDUP_URL: &str = "https://meet.google.com/abc-defg-hij";

/// The demo feed as iCalendar text.
pub fn demo_calendar() -> Calendar {
    // 2024-01-01 is a Monday; every series starts there in floating time.
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let stamp = NaiveDateTime::new(day, NaiveTime::MIN).and_utc();
    let mut cal = Calendar::empty();
    cal.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//CalendarBot//Demo//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .name(DEMO_NAME);
    for &(uid, (h, m), minutes, days, summary, location, description, free) in MEETINGS {
        let start = NaiveDateTime::new(day, NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default());
        let mut ev = Event::new();
        ev.uid(&format!("{uid}@demo.calendarbot"))
            .timestamp(stamp)
            .starts(start)
            .add_property("DURATION", format!("PT{minutes}M"))
            .add_property("RRULE", format!("FREQ=WEEKLY;BYDAY={days}"))
            .summary(summary);
        if let Some(l) = location {
            ev.location(l);
        }
        if let Some(d) = description {
            ev.description(d);
        }
        if uid == "standup" {
            ev.url(STANDUP_URL);
        }
        if free {
            ev.add_property("TRANSP", "TRANSPARENT");
        }
        cal.push(ev.done());
    }
    cal.done()
}

/// The demo feed (an ordinary ICS text, parsed by the same engine as any source).
pub static DEMO_ICS: LazyLock<String> = LazyLock::new(|| demo_calendar().to_string());

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ics::{self, ExpandOptions};
    use crate::model::Window;

    #[test]
    fn demo_parses_cleanly_and_fills_a_working_week() {
        let cal = ics::parse_feed(DEMO_ICS.as_bytes()).unwrap();
        assert!(cal.meta.warnings.is_empty(), "{:?}", cal.meta.warnings);
        assert_eq!(cal.meta.name.as_deref(), Some(DEMO_NAME));
        assert_eq!(cal.events.len(), MEETINGS.len());
        // Mon 2026-05-04 .. Mon 2026-05-11 in Berlin.
        let opts = ExpandOptions {
            window: Window {
                from: "2026-05-03T22:00:00Z".parse().unwrap(),
                to: "2026-05-10T22:00:00Z".parse().unwrap(),
            },
            tz: chrono_tz::Tz::Europe__Berlin,
            source: DEMO_NAME.into(),
            source_id: None,
            me_emails: Vec::new(),
            canceled_prefix: true,
        };
        let occ = ics::expand(&cal, &opts);
        // 5 standups, 2 reviews, 5 lunches, 3 calls, 1 one-on-one, 5 syncs.
        assert_eq!(occ.len(), 21);
        let standup = occ.iter().find(|o| o.summary == "Daily standup").unwrap();
        assert_eq!(standup.start.to_rfc3339(), "2026-05-04T07:30:00+00:00");
        assert_eq!((standup.end - standup.start).num_minutes(), 15);
        assert_eq!(standup.join_url.as_deref(), Some(STANDUP_URL));
        let call = occ.iter().find(|o| o.summary == "Customer call").unwrap();
        assert_eq!(
            call.join_url.as_deref(),
            Some("https://zoom.us/j/1234567890")
        );
        assert!(occ.iter().filter(|o| o.summary == "Lunch").all(|o| o.free));
    }
}
