//! Differential findings (docs/differential-findings.md), each as the smallest feed that
//! showed it, with the occurrences RFC 5545 (and dateutil, libical) give.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use calendarbot_core::ics::{self, ExpandOptions};
use calendarbot_core::model::{Occurrence, Window};
use chrono_tz::Tz;

fn opts(from: &str, to: &str) -> ExpandOptions {
    ExpandOptions {
        window: Window {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        },
        tz: Tz::UTC,
        source: "t".into(),
        source_id: None,
        me_emails: vec![],
        canceled_prefix: true,
    }
}

fn expand(event: &str, from: &str, to: &str) -> Vec<Occurrence> {
    let body = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
         UID:e@t\r\nDTSTAMP:20250101T000000Z\r\n{event}END:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let cal = ics::parse_feed(body.as_bytes()).unwrap();
    ics::expand(&cal, &opts(from, to))
}

fn fmt(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn spans(occ: &[Occurrence]) -> Vec<(String, String)> {
    occ.iter().map(|o| (fmt(o.start), fmt(o.end))).collect()
}

fn starts(occ: &[Occurrence]) -> Vec<String> {
    occ.iter().map(|o| fmt(o.start)).collect()
}

// ---- F1. Nominal durations -------------------------------------------------------------

#[test]
fn f1_p1d_across_the_end_of_dst_ends_at_the_same_wall_time() {
    // 12:00 CEST on 25 October to 12:00 CET on the 26th: 25 hours.
    let o = expand(
        "DTSTART;TZID=Europe/Berlin:20251025T120000\r\nDURATION:P1D\r\n",
        "2025-10-20T00:00:00Z",
        "2025-10-30T00:00:00Z",
    );
    assert_eq!(
        spans(&o),
        [("2025-10-25T10:00:00Z".into(), "2025-10-26T11:00:00Z".into())]
    );
}

#[test]
fn f1_pt24h_stays_exact_where_p1d_is_nominal() {
    let o = expand(
        "DTSTART;TZID=Europe/Berlin:20251025T120000\r\nDURATION:PT24H\r\n",
        "2025-10-20T00:00:00Z",
        "2025-10-30T00:00:00Z",
    );
    assert_eq!(
        spans(&o),
        [("2025-10-25T10:00:00Z".into(), "2025-10-26T10:00:00Z".into())]
    );
}

#[test]
fn f1_mixed_duration_has_a_nominal_day_and_exact_hours() {
    // P1DT2H: 12:00 CET on the 26th (11:00Z), then two exact hours.
    let o = expand(
        "DTSTART;TZID=Europe/Berlin:20251025T120000\r\nDURATION:P1DT2H\r\n",
        "2025-10-20T00:00:00Z",
        "2025-10-30T00:00:00Z",
    );
    assert_eq!(
        o[0].end,
        "2025-10-26T13:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
}

#[test]
fn f1_p1w_on_each_instance_of_a_series() {
    // Seed 6: every instance's week is counted in wall time; the one of 19 October
    // crosses the change (12:45 CEST to 12:45 CET), the one of 1 October does not.
    let o = expand(
        "DTSTART;TZID=Europe/Berlin:20250510T124500\r\nDURATION:P1W\r\n\
         RRULE:FREQ=DAILY;BYMONTH=1,4,6,10\r\n",
        "2025-10-19T00:00:00Z",
        "2025-10-20T00:00:00Z",
    );
    let one = o
        .iter()
        .find(|o| fmt(o.start) == "2025-10-19T10:45:00Z")
        .expect("the 19 October instance");
    assert_eq!(fmt(one.end), "2025-10-26T11:45:00Z");
    let early = o
        .iter()
        .find(|o| fmt(o.start) == "2025-10-12T10:45:00Z")
        .expect("the 12 October instance, still in progress");
    assert_eq!(fmt(early.end), "2025-10-19T10:45:00Z");
}

#[test]
fn f1_dtend_minus_dtstart_stays_exact_on_every_instance() {
    // 3.8.5.3: each instance has "the same exact duration" as DTSTART..DTEND.
    let o = expand(
        "DTSTART;TZID=Europe/Berlin:20251024T120000\r\n\
         DTEND;TZID=Europe/Berlin:20251025T120000\r\nRRULE:FREQ=DAILY;COUNT=2\r\n",
        "2025-10-20T00:00:00Z",
        "2025-10-30T00:00:00Z",
    );
    assert_eq!(
        spans(&o),
        [
            ("2025-10-24T10:00:00Z".into(), "2025-10-25T10:00:00Z".into()),
            ("2025-10-25T10:00:00Z".into(), "2025-10-26T10:00:00Z".into()),
        ]
    );
}

// ---- F2. Sub-daily rules with an INTERVAL and BY* parts --------------------------------

#[test]
fn f2_minutely_byhour_counts_the_interval_from_dtstart() {
    // 24 h is 32 x 45 min: the same two times every day.
    let o = expand(
        "DTSTART:20250324T113000Z\r\nDURATION:PT30M\r\n\
         RRULE:FREQ=MINUTELY;INTERVAL=45;BYHOUR=11,15;COUNT=6\r\n",
        "2025-03-20T00:00:00Z",
        "2025-04-01T00:00:00Z",
    );
    assert_eq!(
        starts(&o),
        [
            "2025-03-24T11:30:00Z",
            "2025-03-24T15:15:00Z",
            "2025-03-25T11:30:00Z",
            "2025-03-25T15:15:00Z",
            "2025-03-26T11:30:00Z",
            "2025-03-26T15:15:00Z",
        ]
    );
}

#[test]
fn f2_minutely_byhour_without_count_keeps_its_phase_far_from_dtstart() {
    // 50 minutes do not divide a day, so the times move from day to day; a window a year
    // later still sees the series of DTSTART (as dateutil lists it), not one restarted at
    // each BYHOUR window.
    let o = expand(
        "DTSTART:20250101T090000Z\r\nRRULE:FREQ=MINUTELY;INTERVAL=50;BYHOUR=9\r\n",
        "2026-01-01T00:00:00Z",
        "2026-01-04T00:00:00Z",
    );
    assert_eq!(
        starts(&o),
        [
            "2026-01-01T09:00:00Z",
            "2026-01-01T09:50:00Z",
            "2026-01-02T09:10:00Z",
            "2026-01-03T09:20:00Z",
        ]
    );
}

#[test]
fn f2_hourly_interval_with_a_weekday_filter() {
    // Every 5 hours from Monday 01:00, kept on Tuesdays only: 02, 07, 12, 17, 22.
    let o = expand(
        "DTSTART:20250303T010000Z\r\nRRULE:FREQ=HOURLY;INTERVAL=5;BYDAY=TU;COUNT=5\r\n",
        "2025-03-01T00:00:00Z",
        "2025-03-10T00:00:00Z",
    );
    assert_eq!(
        starts(&o),
        [
            // DTSTART is always the first instance (RFC 5545 3.8.5.3).
            "2025-03-03T01:00:00Z",
            "2025-03-04T02:00:00Z",
            "2025-03-04T07:00:00Z",
            "2025-03-04T12:00:00Z",
            "2025-03-04T17:00:00Z",
            "2025-03-04T22:00:00Z",
        ]
    );
}

#[test]
fn f4_a_nominal_day_from_a_start_in_a_dst_gap_ends_at_the_written_time() {
    // 02:30 on 30 March 2025 does not exist in Berlin: the start is read with the offset
    // before the gap (01:30Z); one nominal day later is 02:30 CEST on the 31st (00:30Z).
    let o = expand(
        "DTSTART;TZID=Europe/Berlin:20250330T023000\r\nDURATION:P1D\r\n",
        "2025-03-25T00:00:00Z",
        "2025-04-05T00:00:00Z",
    );
    assert_eq!(
        spans(&o),
        [("2025-03-30T01:30:00Z".into(), "2025-03-31T00:30:00Z".into())]
    );
}

// ---- Triage of the long run (seeds 100000-100399): the engine was right ------------------
// Each pins what the triage confirmed against RFC 5545, where the reference differed.

#[test]
fn t100293_rdate_in_new_york_winter_is_est_and_dtend_before_dtstart_is_zero_length() {
    // 09:00 EST (UTC-5) is 14:00Z. DTEND before DTSTART is invalid: DTSTART is kept, with
    // zero length (the reference swaps the two, so its RDATE instance ends at 15:00Z).
    let o = expand(
        "DTSTART;TZID=America/New_York:20260308T010000\r\n\
         DTEND;TZID=America/New_York:20260308T000000\r\n\
         RDATE;TZID=America/New_York:20250208T090000\r\n",
        "2025-02-01T00:00:00Z",
        "2025-02-15T00:00:00Z",
    );
    assert_eq!(
        spans(&o),
        [("2025-02-08T14:00:00Z".into(), "2025-02-08T14:00:00Z".into())]
    );
}

#[test]
fn t100064_a_zoned_exdate_removes_its_own_instance_only() {
    // Every 45 minutes from 11:15 local (14:15Z). EXDATE 17:15 in Santiago (UTC-3) is
    // 20:15Z. The instances at 17:15Z (14:15 local) and at 20:15 local (23:15Z) stay: the
    // reference also drops those, matching the EXDATE's UTC time against wall times.
    let o = expand(
        "DTSTART;TZID=America/Santiago:20250127T111500\r\n\
         RRULE:FREQ=MINUTELY;INTERVAL=45;COUNT=16\r\n\
         EXDATE;TZID=America/Santiago:20250127T171500\r\n",
        "2025-01-27T00:00:00Z",
        "2025-01-29T00:00:00Z",
    );
    let s = starts(&o);
    assert!(!s.contains(&"2025-01-27T20:15:00Z".to_string()), "{s:?}");
    assert!(s.contains(&"2025-01-27T17:15:00Z".to_string()), "{s:?}");
    assert!(s.contains(&"2025-01-27T23:15:00Z".to_string()), "{s:?}");
    assert_eq!(s.len(), 15, "{s:?}");
}

#[test]
fn t100216_an_hourly_rule_through_a_dst_gap_gives_the_shared_instant_once() {
    // Wall times 00:45, 01:45, 02:45 (in the gap: offset before it, 10:45Z), 03:45 PDT
    // (10:45Z too), 04:45: RFC 5545 3.8.5.3, duplicate instances are ignored.
    let o = expand(
        "DTSTART;TZID=America/Los_Angeles:20250309T004500\r\n\
         RRULE:FREQ=SECONDLY;INTERVAL=3600;COUNT=5\r\n",
        "2025-03-08T00:00:00Z",
        "2025-03-11T00:00:00Z",
    );
    assert_eq!(
        starts(&o),
        [
            "2025-03-09T08:45:00Z",
            "2025-03-09T09:45:00Z",
            "2025-03-09T10:45:00Z",
            "2025-03-09T11:45:00Z",
        ]
    );
}
