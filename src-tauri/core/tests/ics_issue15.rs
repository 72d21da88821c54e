//! Issue 15, engine part: each defect as a feed a user would meet, with the occurrences a
//! careful reference (RFC 5545, Google/Apple/Thunderbird) gives; the whole-feed budget on
//! hostile feeds; the one text boundary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use calendarbot_core::agenda::{self, SourceCalendar};
use calendarbot_core::ics::{self, ExpandOptions};
use calendarbot_core::model::{Occurrence, Window};
use calendarbot_core::settings::Settings;
use chrono_tz::Tz;

fn opts(from: &str, to: &str, tz: Tz) -> ExpandOptions {
    ExpandOptions {
        window: Window {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        },
        tz,
        source: "t".into(),
        source_id: None,
        me_emails: vec![],
        canceled_prefix: true,
    }
}

fn cal(inner: &str) -> ics::Calendar {
    let body = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{inner}END:VCALENDAR\r\n");
    ics::parse_feed(body.as_bytes()).unwrap()
}

fn event(lines: &str) -> String {
    format!("BEGIN:VEVENT\r\n{lines}END:VEVENT\r\n")
}

fn starts(occ: &[Occurrence]) -> Vec<String> {
    occ.iter()
        .map(|o| match o.start_date {
            Some(d) if o.all_day => d.to_string(),
            _ => o.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })
        .collect()
}

// ---- 1. Truncated series -------------------------------------------------------------

#[test]
fn daily_meeting_from_2015_over_45_years_gives_all_7062() {
    let c = cal(&event(
        "UID:d\r\nDTSTART:20150901T090000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY\r\n",
    ));
    let o = opts("1990-01-01T00:00:00Z", "2035-01-01T00:00:00Z", Tz::UTC);
    let exp = ics::expand_report(&c, &o);
    assert_eq!(exp.occurrences.len(), 7062);
    assert!(!exp.truncation.truncated);
    assert!(exp.occurrences.iter().all(|o| !o.truncated));
    // Work-counted: the same input gives the same output, whatever the load.
    assert_eq!(ics::expand(&c, &o), exp.occurrences);
}

#[test]
fn rules_an_hour_or_more_apart_are_whole_over_a_century() {
    let c = cal(&format!(
        "{}{}",
        event("UID:w\r\nDTSTART:19500102T090000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"),
        event("UID:h\r\nDTSTART:20000101T000000Z\r\nRRULE:FREQ=HOURLY;INTERVAL=6\r\n"),
    ));
    let o = opts("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", Tz::UTC);
    let exp = ics::expand_report(&c, &o);
    assert!(!exp.truncation.truncated, "{:?}", exp.truncation);
    let weekly = exp.occurrences.iter().filter(|o| o.uid == "w").count();
    let six_hourly = exp.occurrences.iter().filter(|o| o.uid == "h").count();
    assert_eq!(six_hourly, 36_525 * 4);
    // 100 years of working days: 5218 weeks and a few days.
    assert!((26_085..=26_095).contains(&weekly), "{weekly}");
}

// ---- 2. X-WR-TIMEZONE and floating times ---------------------------------------------

#[test]
fn floating_times_are_read_in_the_calendars_zone() {
    let ev = event("UID:f\r\nDTSTART:20210916T210000\r\nDURATION:PT1H\r\n");
    let with_zone = cal(&format!("X-WR-TIMEZONE:Europe/Brussels\r\n{ev}"));
    // --tz does not apply when the calendar names its zone...
    let o = opts(
        "2021-09-01T00:00:00Z",
        "2021-10-01T00:00:00Z",
        Tz::Asia__Tokyo,
    );
    assert_eq!(
        starts(&ics::expand(&with_zone, &o)),
        ["2021-09-16T19:00:00Z"]
    );
    // ...and does when it names none.
    let without = cal(&ev);
    assert_eq!(starts(&ics::expand(&without, &o)), ["2021-09-16T12:00:00Z"]);
}

// ---- 3. Escaped VTIMEZONE TZIDs -------------------------------------------------------

fn vtimezone(tzid: &str, offset: &str) -> String {
    format!(
        "BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n\
         TZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
}

#[test]
fn escaped_vtimezone_tzids_match_the_quoted_parameter() {
    let c = cal(&format!(
        "{}{}",
        vtimezone(r"(UTC+07:00) Bangkok\, Hanoi\, Jakarta", "+0700"),
        event("UID:b\r\nDTSTART;TZID=\"(UTC+07:00) Bangkok, Hanoi, Jakarta\":20190430T090000\r\n"),
    ));
    let o = opts("2019-04-01T00:00:00Z", "2019-05-01T00:00:00Z", Tz::UTC);
    assert_eq!(starts(&ics::expand(&c, &o)), ["2019-04-30T02:00:00Z"]);
    // A name no table knows: only the VTIMEZONE (unescaped) can say +03:00.
    let c = cal(&format!(
        "{}{}",
        vtimezone(r"Office\, Custom", "+0300"),
        event("UID:c\r\nDTSTART;TZID=\"Office, Custom\":20190430T090000\r\n"),
    ));
    assert_eq!(starts(&ics::expand(&c, &o)), ["2019-04-30T06:00:00Z"]);
    assert!(c
        .meta
        .warnings
        .iter()
        .all(|w| !w.contains("unknown time zone")));
}

// ---- 4. DATE-TIME RECURRENCE-ID on an all-day series ---------------------------------

#[test]
fn datetime_recurrence_id_on_an_all_day_series_matches_its_local_date() {
    let c = cal(&format!(
        "{}{}",
        event(
            "UID:a\r\nDTSTART;VALUE=DATE:20260205\r\nDTEND;VALUE=DATE:20260206\r\n\
             RRULE:FREQ=WEEKLY;COUNT=6\r\nSUMMARY:Weekly\r\n"
        ),
        event(
            "UID:a\r\nRECURRENCE-ID;TZID=W. Europe Standard Time:20260226T000000\r\n\
             DTSTART;VALUE=DATE:20260227\r\nDTEND;VALUE=DATE:20260228\r\nSUMMARY:Moved\r\n"
        ),
    ));
    let o = opts("2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z", Tz::UTC);
    let occ = ics::expand(&c, &o);
    assert_eq!(
        starts(&occ),
        [
            "2026-02-05",
            "2026-02-12",
            "2026-02-19",
            "2026-02-27",
            "2026-03-05",
            "2026-03-12"
        ]
    );
    assert_eq!(occ[3].summary, "Moved");
}

// ---- 5. EXDATE of an overridden instance ---------------------------------------------

#[test]
fn exdate_of_an_overridden_instance_removes_the_override() {
    let c = cal(&format!(
        "{}{}",
        event(
            "UID:x\r\nSEQUENCE:3\r\nDTSTART;TZID=Europe/Berlin:20260302T100000\r\n\
             DURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3\r\n\
             EXDATE;TZID=Europe/Berlin:20260303T100000\r\n"
        ),
        event(
            "UID:x\r\nSEQUENCE:1\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260303T100000\r\n\
             DTSTART;TZID=Europe/Berlin:20260303T150000\r\nDURATION:PT1H\r\nSUMMARY:Moved\r\n"
        ),
    ));
    let o = opts("2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z", Tz::UTC);
    assert_eq!(
        starts(&ics::expand(&c, &o)),
        ["2026-03-02T09:00:00Z", "2026-03-04T09:00:00Z"]
    );
}

// ---- 6. An unmatched END --------------------------------------------------------------

#[test]
fn an_unmatched_end_closes_the_innermost_component_and_parsing_goes_on() {
    let c = cal(&format!(
        "BEGIN:VTODO\r\nUID:t\r\nSUMMARY:todo\r\nEND:VTOOD\r\n{}{}",
        event("UID:e1\r\nDTSTART:20260301T090000Z\r\n"),
        event("UID:e2\r\nDTSTART:20260302T090000Z\r\n"),
    ));
    let o = opts("2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z", Tz::UTC);
    let uids: Vec<String> = ics::expand(&c, &o).into_iter().map(|o| o.uid).collect();
    assert_eq!(uids, ["e1", "e2"]);
}

// ---- 7. No event lost -------------------------------------------------------------------

#[test]
fn date_start_with_a_datetime_end_is_an_all_day_event() {
    let c = cal(&event(
        "UID:m\r\nDTSTART;VALUE=DATE:20260310\r\nDTEND:20260312T000000\r\nSUMMARY:Two days\r\n",
    ));
    let o = opts("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", Tz::UTC);
    let occ = ics::expand(&c, &o);
    assert_eq!(occ.len(), 1);
    assert!(occ[0].all_day);
    assert_eq!(occ[0].start_date.unwrap().to_string(), "2026-03-10");
    assert_eq!(occ[0].end_date.unwrap().to_string(), "2026-03-12");
}

#[test]
fn windows_display_name_tzids_without_vtimezone() {
    let c = cal(&format!(
        "{}{}",
        event(
            "UID:e\r\nDTSTART;TZID=\"(UTC-05:00) Eastern Time (US & Canada)\":20260710T090000\r\n"
        ),
        // Not in the table: the offset in the name.
        event("UID:o\r\nDTSTART;TZID=\"(UTC+05:45) Somewhere\":20260710T090000\r\n"),
    ));
    let o = opts("2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z", Tz::UTC);
    // July: New York is on daylight time (-04:00).
    assert_eq!(
        starts(&ics::expand(&c, &o)),
        ["2026-07-10T03:15:00Z", "2026-07-10T13:00:00Z"]
    );
    assert!(c
        .meta
        .warnings
        .iter()
        .all(|w| !w.contains("unknown time zone")));
}

#[test]
fn a_bare_vevent_file_is_read_with_a_warning() {
    let body =
        "BEGIN:VEVENT\r\nUID:bare\r\nDTSTART:20260301T090000Z\r\nSUMMARY:Bare\r\nEND:VEVENT\r\n";
    let c = ics::parse_feed(body.as_bytes()).unwrap();
    let o = opts("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", Tz::UTC);
    let occ = ics::expand(&c, &o);
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].summary, "Bare");
    assert!(c.meta.warnings[0].contains("no VCALENDAR"));
    // Cut off: still a truncated feed.
    assert!(ics::parse_feed(b"BEGIN:VEVENT\r\nUID:x\r\n").is_err());
}

// ---- Bounded as a whole -------------------------------------------------------------------

fn minutely_feed(n: usize) -> ics::Calendar {
    let mut inner =
        event("UID:weekly\r\nDTSTART:20200106T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\n");
    for i in 0..n {
        inner.push_str(&event(&format!(
            "UID:spam-{i}\r\nDTSTART:20200101T000000Z\r\nRRULE:FREQ=MINUTELY\r\nSUMMARY:s\r\n"
        )));
    }
    cal(&inner)
}

#[test]
fn a_feed_of_minutely_rules_is_bounded_and_says_what_was_cut() {
    let c = minutely_feed(2_000);
    let o = opts("2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z", Tz::UTC);
    let exp = ics::expand_report(&c, &o);
    let budget = ics::Budget::for_window(o.window);
    // Every event shows (its first instance at least); the total stays in the budget.
    assert!(exp.occurrences.len() <= budget.total_occurrences + 2_001);
    assert!(exp.truncation.truncated);
    assert!(exp.truncation.events >= 1_999, "{:?}", exp.truncation);
    assert!(exp.truncation.reason.as_deref().unwrap().contains("budget"));
    for i in [0, 1_999] {
        assert!(exp
            .occurrences
            .iter()
            .any(|o| o.uid == format!("spam-{i}") && o.truncated));
    }
    // The sparse rule is expanded first, so the spam cannot starve it: 10 years of weeks.
    let weekly: Vec<&Occurrence> = exp
        .occurrences
        .iter()
        .filter(|o| o.uid == "weekly")
        .collect();
    assert_eq!(weekly.len(), 522);
    assert!(weekly.iter().all(|o| !o.truncated));
    // Deterministic.
    assert_eq!(ics::expand_report(&c, &o), exp);
}

#[test]
fn a_long_description_is_held_once_per_event_not_once_per_occurrence() {
    // A daily meeting with 60 KB of dial-in text over ten years: 3,653 copies would be
    // 220 MB; shared, it is 60 KB (the memory bound of "1 MB summaries" feeds).
    let text = "Dial in: +1 555 0100, PIN 4242.".repeat(1_900);
    let c = cal(&event(&format!(
        "UID:daily\r\nDTSTART:20260101T090000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY\r\n\
         SUMMARY:Standup\r\nDESCRIPTION:{text}\r\n"
    )));
    let o = opts("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", Tz::UTC);
    let occ = ics::expand(&c, &o);
    assert_eq!(occ.len(), 365);
    let first = occ[0].description.clone().unwrap();
    assert_eq!(first.len(), text.len());
    assert!(occ.iter().all(|o| o
        .description
        .as_ref()
        .is_some_and(|d| std::sync::Arc::ptr_eq(d, &first))));
}

#[test]
fn the_whole_agenda_shares_one_budget_between_feeds() {
    let spam = minutely_feed(50);
    let good = cal(&event(
        "UID:good\r\nDTSTART:20260105T090000Z\r\nRRULE:FREQ=DAILY\r\n",
    ));
    let sources = vec![
        SourceCalendar {
            source_id: Some(1),
            name: "spam".into(),
            calendar: spam,
        },
        SourceCalendar {
            source_id: Some(2),
            name: "good".into(),
            calendar: good,
        },
    ];
    let window = Window {
        from: "2026-01-01T00:00:00Z".parse().unwrap(),
        to: "2027-01-01T00:00:00Z".parse().unwrap(),
    };
    let a = agenda::expand_all_report(&sources, window, Tz::UTC, &Settings::default());
    let budget = ics::Budget::for_window(window);
    assert!(a.occurrences.len() <= budget.total_occurrences + 60);
    assert!(a.truncated);
    assert_eq!(a.cuts.len(), 1);
    assert_eq!(a.cuts[0].source_id, Some(1));
    assert_eq!(
        a.occurrences.iter().filter(|o| o.uid == "good").count(),
        361
    );
    assert!(a.occurrences.windows(2).all(|w| w[0].start <= w[1].start));
    assert_eq!(
        agenda::expand_all(&sources, window, Tz::UTC, &Settings::default()),
        a.occurrences
    );
}

// ---- One text boundary ----------------------------------------------------------------------

#[test]
fn feed_text_is_made_safe_once_at_parse_time() {
    let big = "x".repeat(1 << 20);
    let c = cal(&format!(
        "X-WR-CALNAME:Team\u{202E}\u{0007}cal\r\n{}{}",
        event(
            "UID:t\r\nDTSTART:20260301T090000Z\r\nSUMMARY:Pay\u{0000}\u{202E}day\\nnow\u{0085}\r\n\
             LOCATION:Room\u{2066}1\u{001B}[2J\r\nDESCRIPTION:line1\\nline2\t\u{0000}\u{200F}end\r\n\
             ATTENDEE;CN=\"Eve\u{202E}lyn\u{0008}\":mailto:eve@x.test\r\n\
             ORGANIZER;CN=\"Boss\u{0007}\":mailto:\r\nCATEGORIES:Wo\u{0000}rk\r\n"
        ),
        event(&format!(
            "UID:big\r\nDTSTART:20260302T090000Z\r\nSUMMARY:{big}\r\nDESCRIPTION:{big}\r\n"
        )),
    ));
    assert_eq!(c.meta.name.as_deref(), Some("Teamcal"));
    let t = &c.events[0];
    assert_eq!(t.summary, "Payday now");
    assert_eq!(t.location.as_deref(), Some("Room1[2J"));
    assert_eq!(t.description.as_deref(), Some("line1\nline2\tend"));
    assert_eq!(t.attendees[0].cn.as_deref(), Some("Evelyn"));
    assert_eq!(t.organizer.as_deref(), Some("Boss"));
    assert_eq!(t.categories, ["Work"]);
    let b = &c.events[1];
    assert_eq!(b.summary.len(), 1024);
    assert_eq!(b.description.as_deref().unwrap().len(), 64 * 1024);
}
