//! Property tests: arbitrary bytes and arbitrary RRULE strings never panic and finish
//! quickly. Case counts are small so this runs in seconds in every `make test`
//! (raise with PROPTEST_CASES for a longer run).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use calendarbot_core::ics::{self, ExpandOptions};
use calendarbot_core::model::Window;
use chrono_tz::Tz;
use proptest::prelude::*;

fn opts() -> ExpandOptions {
    ExpandOptions {
        window: Window {
            from: "2026-03-01T00:00:00Z".parse().unwrap(),
            to: "2026-03-15T00:00:00Z".parse().unwrap(),
        },
        tz: Tz::Europe__London,
        source: "fuzz".into(),
        source_id: None,
        me_emails: vec!["me@example.com".into()],
        canceled_prefix: true,
    }
}

fn rrule_part() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY", "BOGUS"
        ])
        .prop_map(|f| format!("FREQ={f}")),
        (0u32..1000).prop_map(|n| format!("INTERVAL={n}")),
        (0u64..2_000_000_000).prop_map(|n| format!("COUNT={n}")),
        "[0-9]{8}(T[0-9]{6}Z?)?".prop_map(|u| format!("UNTIL={u}")),
        "(-?[0-9]{1,3},){0,4}-?[0-9]{1,3}".prop_map(|v| format!("BYMONTHDAY={v}")),
        "((-?[0-9])?(MO|TU|WE|TH|FR|SA|SU),){0,3}(-?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)"
            .prop_map(|v| format!("BYDAY={v}")),
        "([0-9]{1,2},){0,5}[0-9]{1,2}".prop_map(|v| format!("BYHOUR={v}")),
        "([0-9]{1,2},){0,5}[0-9]{1,2}".prop_map(|v| format!("BYMINUTE={v}")),
        "([0-9]{1,2},){0,3}[0-9]{1,2}".prop_map(|v| format!("BYMONTH={v}")),
        "(-?[0-9]{1,3},){0,2}-?[0-9]{1,3}".prop_map(|v| format!("BYSETPOS={v}")),
        "(-?[0-9]{1,3},){0,2}-?[0-9]{1,3}".prop_map(|v| format!("BYYEARDAY={v}")),
        "(-?[0-9]{1,2},){0,2}-?[0-9]{1,2}".prop_map(|v| format!("BYWEEKNO={v}")),
        "[A-Z=;,0-9-]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut with_header = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n".to_vec();
        with_header.extend_from_slice(&body);
        with_header.extend_from_slice(b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        for b in [&body, &with_header] {
            if let Ok(cal) = ics::parse_feed(b) {
                let _ = ics::expand(&cal, &opts());
            }
        }
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in prop::collection::vec("[A-Z;=:\"\\-,0-9T/ ]{0,60}", 0..30)) {
        let body = format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260302T090000Z\r\n{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            lines.join("\r\n")
        );
        if let Ok(cal) = ics::parse_feed(body.as_bytes()) {
            let _ = ics::expand(&cal, &opts());
        }
    }

    #[test]
    fn arbitrary_rrules_are_bounded(
        parts in prop::collection::vec(rrule_part(), 0..6),
        start in prop::sample::select(vec!["20000101T000000Z", "20260301T093000", "20260329T013000", "19700101"]),
    ) {
        let dtstart = if start.len() == 8 {
            format!("DTSTART;VALUE=DATE:{start}")
        } else if start.ends_with('Z') {
            format!("DTSTART:{start}")
        } else {
            format!("DTSTART;TZID=Europe/London:{start}")
        };
        let body = format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\n{dtstart}\r\nRRULE:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            parts.join(";")
        );
        let cal = ics::parse_feed(body.as_bytes()).unwrap();
        // Bounded by the whole agenda's work-counted budget (never wall time), and a
        // rule cut short says so.
        let budget = ics::Budget::for_window(opts().window);
        let out = ics::expand_report(&cal, &opts());
        prop_assert!(out.occurrences.len() <= budget.total_occurrences, "{:?}", parts);
        prop_assert!(
            out.occurrences.len() < budget.total_occurrences || out.truncation.truncated,
            "{:?}",
            parts
        );
    }
}
