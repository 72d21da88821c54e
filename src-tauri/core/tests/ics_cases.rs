//! RELIABILITY cases that are about limits and timing rather than content (the content
//! cases are in the golden corpus, `ics_golden.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use calendarbot_core::ics::{self, ExpandOptions, FeedError};
use calendarbot_core::model::Window;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

fn opts(from: &str, to: &str, tz: Tz) -> ExpandOptions {
    ExpandOptions {
        window: Window {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        },
        tz,
        source: "t".into(),
        source_id: Some(7),
        me_emails: vec![],
        canceled_prefix: true,
    }
}

fn one_event(lines: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n")
        .into_bytes()
}

/// Case 4: a 1.3 MB nest bomb is rejected before any parsing, fast, without a crash.
#[test]
fn nest_bomb_rejected_in_under_5ms() {
    let mut body = b"BEGIN:VCALENDAR\r\n".to_vec();
    for _ in 0..50_000 {
        body.extend_from_slice(b"BEGIN:VEVENT\r\n");
    }
    body.extend_from_slice(b"END:VCALENDAR\r\n");
    assert!(body.len() > 700_000);
    let t = Instant::now();
    let r = ics::parse_feed(&body);
    let took = t.elapsed();
    assert_eq!(r, Err(FeedError::TooDeep(9)));
    assert!(took < Duration::from_millis(5), "took {took:?}");
}

/// Deep nesting that is still under the limit parses (no recursion anywhere).
#[test]
fn nesting_at_the_limit_is_fine() {
    let mut body =
        String::from("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101T000000Z\r\n");
    for i in 0..6 {
        body.push_str(&format!("BEGIN:X-N{i}\r\n"));
    }
    for i in (0..6).rev() {
        body.push_str(&format!("END:X-N{i}\r\n"));
    }
    body.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let cal = ics::parse_feed(body.as_bytes()).unwrap();
    assert_eq!(cal.events.len(), 1);
}

/// Cases 26-28: pathological rules stay within the feed's budget (work-counted, so the
/// result is the same on any machine) and are flagged when cut.
#[test]
fn pathological_rules_are_bounded() {
    // (rule, cut by the budget, occurrences when whole): a week of minutes (10,080) fits
    // the budget; a week of seconds (604,800) does not.
    let cases = [
        (
            "DTSTART:20260301T000000Z\r\nRRULE:FREQ=SECONDLY\r\n",
            true,
            0,
        ),
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=MINUTELY\r\n",
            false,
            10_080,
        ),
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=SECONDLY;BYMINUTE=5\r\n",
            false,
            7 * 24 * 60,
        ),
        (
            "DTSTART:20000101T090000Z\r\nRRULE:FREQ=DAILY;COUNT=1000000000\r\n",
            false,
            7,
        ),
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=MINUTELY;COUNT=1000000000;BYHOUR=9\r\n",
            false,
            7 * 60,
        ),
    ];
    for (lines, expect_truncated, whole) in cases {
        let cal = ics::parse_feed(&one_event(lines)).unwrap();
        let t = Instant::now();
        let occ = ics::expand(
            &cal,
            &opts("2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z", Tz::UTC),
        );
        let took = t.elapsed();
        // Far under the 5 s of CPU even in a debug build on a loaded machine.
        assert!(took < Duration::from_secs(5), "{lines}: took {took:?}");
        let budget = ics::Budget::for_window(Window {
            from: "2026-03-02T00:00:00Z".parse().unwrap(),
            to: "2026-03-09T00:00:00Z".parse().unwrap(),
        });
        assert!(
            occ.len() <= budget.total_occurrences,
            "{lines}: {} occurrences",
            occ.len()
        );
        if expect_truncated {
            assert!(occ.iter().all(|o| o.truncated), "{lines}: not flagged");
        } else {
            assert_eq!(occ.len(), whole, "{lines}");
            assert!(occ.iter().all(|o| !o.truncated));
        }
    }
}

/// Case 16: hourly across both DST changes → strictly increasing, distinct instants.
#[test]
fn hourly_across_dst_is_strictly_increasing() {
    for start in ["20260328T120000", "20261024T120000"] {
        let cal = ics::parse_feed(&one_event(&format!(
            "DTSTART;TZID=Europe/London:{start}\r\nRRULE:FREQ=HOURLY;COUNT=48\r\n"
        )))
        .unwrap();
        let occ = ics::expand(
            &cal,
            &opts("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", Tz::UTC),
        );
        assert!(occ.len() >= 46, "{}", occ.len());
        let starts: Vec<DateTime<Utc>> = occ.iter().map(|o| o.start).collect();
        assert!(starts.windows(2).all(|w| w[0] < w[1]));
    }
}

/// The cache stores records as JSON: a round trip expands identically.
#[test]
fn calendar_round_trips_through_json() {
    let body = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ics/91_outlook.ics"),
    )
    .unwrap();
    let cal = ics::parse_feed(&body).unwrap();
    let meta = serde_json::to_string(&cal.meta).unwrap();
    let rows: Vec<String> = cal
        .events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let back = ics::Calendar {
        meta: serde_json::from_str(&meta).unwrap(),
        events: rows
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect(),
    };
    assert_eq!(back, cal);
    let o = opts(
        "2026-06-29T00:00:00Z",
        "2026-07-20T00:00:00Z",
        Tz::Europe__Berlin,
    );
    assert_eq!(ics::expand(&back, &o), ics::expand(&cal, &o));
}

/// The demo feed parses and always has upcoming events.
#[test]
fn demo_feed_expands() {
    let cal = ics::parse_feed(calendarbot_core::demo::DEMO_ICS.as_bytes()).unwrap();
    let occ = ics::expand(
        &cal,
        &opts(
            "2026-03-02T00:00:00Z",
            "2026-03-09T00:00:00Z",
            Tz::Europe__Berlin,
        ),
    );
    assert!(!occ.is_empty());
}

/// The text format hides cancelled occurrences and shows times in the given zone.
#[test]
fn text_output() {
    let cal = ics::parse_feed(&one_event(
        "DTSTART:20260310T090000Z\r\nDURATION:PT30M\r\nSUMMARY:Hello\r\nLOCATION:Room\r\n",
    ))
    .unwrap();
    let occ = ics::expand(
        &cal,
        &opts(
            "2026-03-10T00:00:00Z",
            "2026-03-11T00:00:00Z",
            Tz::Europe__Berlin,
        ),
    );
    let text = ics::output::to_text(&occ, Tz::Europe__Berlin);
    assert_eq!(text, "2026-03-10 Tue 10:00-10:30  Hello  (Room)\n");
    let mut cancelled = occ.clone();
    cancelled[0].cancelled = true;
    assert_eq!(ics::output::to_text(&cancelled, Tz::Europe__Berlin), "");
    let json: serde_json::Value = serde_json::from_str(&ics::output::to_json(&occ)).unwrap();
    assert_eq!(json[0]["start"], "2026-03-10T09:00:00Z");
}
