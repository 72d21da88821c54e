//! The pure planner's table: which reminders are due when, for cases 24, 25, 41, 42, 45,
//! 46 and 47 of RELIABILITY.md, plus lead/at-start/VALARM rules and the pause.

// Test helpers outside #[test] fns unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use calendarbot_core::clock::{Clock, TestClock};
use calendarbot_core::model::{AlarmTrigger, Occurrence, PartStat};
use calendarbot_core::reminders::ledger::{LedgerEntry, LedgerKey, LedgerState, LedgerView};
use calendarbot_core::reminders::plan::{alarms_of, plan, AlarmId, ReminderConfig, SourceOverride};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn occ(uid: &str, start: &str) -> Occurrence {
    let start = t(start);
    Occurrence {
        source_id: Some(1),
        ..Occurrence::timed(
            "Work",
            uid,
            &format!("Meeting {uid}"),
            start,
            start + Duration::minutes(30),
        )
    }
}

fn cfg() -> ReminderConfig {
    ReminderConfig::default()
}

fn empty() -> LedgerView {
    HashMap::new()
}

/// (uid, alarm, due) of what fires.
fn fired(p: &calendarbot_core::reminders::plan::Plan) -> Vec<(String, AlarmId, DateTime<Utc>)> {
    p.fire
        .iter()
        .map(|f| {
            (
                f.reminder.occurrence.uid.clone(),
                f.reminder.alarm.clone(),
                f.reminder.due,
            )
        })
        .collect()
}

#[test]
fn lead_and_start_are_due_at_their_instants_never_before() {
    let clock = TestClock::new(t("2026-03-02T09:00:00Z"));
    let o = vec![occ("a", "2026-03-02T10:00:00Z")];
    let since = clock.now();
    // 09:54:59.999: nothing yet, next due 09:55.
    clock.set(t("2026-03-02T09:54:59.999Z"));
    let p = plan(&o, &cfg(), None, &empty(), since, clock.now());
    assert!(p.fire.is_empty());
    assert_eq!(p.next_due, Some(t("2026-03-02T09:55:00Z")));
    // 09:55: the lead reminder, not late; next is the at-start one.
    clock.set(t("2026-03-02T09:55:00Z"));
    let p = plan(&o, &cfg(), None, &empty(), since, clock.now());
    assert_eq!(
        fired(&p),
        vec![("a".into(), AlarmId::Lead, t("2026-03-02T09:55:00Z"))]
    );
    assert_eq!(p.fire[0].late_by, None);
    assert_eq!(p.next_due, Some(t("2026-03-02T10:00:00Z")));
}

#[test]
fn watermark_excludes_what_was_already_processed() {
    let o = vec![occ("a", "2026-03-02T10:00:00Z")];
    let p = plan(
        &o,
        &cfg(),
        None,
        &empty(),
        t("2026-03-02T09:55:00Z"),
        t("2026-03-02T09:56:00Z"),
    );
    assert!(
        p.fire.is_empty(),
        "due == since was handled in the previous round"
    );
}

#[test]
fn valarms_are_honoured_and_coinciding_alarms_notify_once() {
    let mut o = occ("a", "2026-03-02T10:00:00Z");
    o.alarms = vec![
        AlarmTrigger::Relative { seconds: -900 },
        AlarmTrigger::Relative { seconds: -300 }, // same instant as the 5 min lead
        AlarmTrigger::Absolute {
            at: t("2026-03-01T18:00:00Z"),
        },
    ];
    let a = alarms_of(&o, &cfg());
    assert_eq!(
        a,
        vec![
            (
                AlarmId::ValarmAbsolute(t("2026-03-01T18:00:00Z").timestamp()),
                t("2026-03-01T18:00:00Z")
            ),
            (AlarmId::ValarmRelative(-900), t("2026-03-02T09:45:00Z")),
            (AlarmId::Lead, t("2026-03-02T09:55:00Z")),
            (AlarmId::Start, t("2026-03-02T10:00:00Z")),
        ]
    );
}

#[test]
fn lead_zero_and_at_start_off_and_source_override() {
    let o = occ("a", "2026-03-02T10:00:00Z");
    let mut c = cfg();
    c.lead_minutes = 0;
    c.at_start = false;
    assert!(alarms_of(&o, &c).is_empty());
    let mut c = cfg();
    c.overrides.insert(
        1,
        SourceOverride {
            enabled: None,
            lead_minutes: Some(15),
        },
    );
    assert_eq!(
        alarms_of(&o, &c)[0],
        (AlarmId::Lead, t("2026-03-02T09:45:00Z"))
    );
    c.overrides.insert(
        1,
        SourceOverride {
            enabled: Some(false),
            lead_minutes: None,
        },
    );
    let p = plan(
        &[o],
        &c,
        None,
        &empty(),
        t("2026-03-02T09:00:00Z"),
        t("2026-03-02T10:00:00Z"),
    );
    assert!(p.fire.is_empty() && p.next_due.is_none());
}

#[test]
fn case24_25_cancelled_declined_free_allday_and_disabled_give_nothing() {
    let since = t("2026-03-02T09:00:00Z");
    let now = t("2026-03-02T10:00:00Z");
    let base = occ("a", "2026-03-02T10:00:00Z");
    let mut cancelled = base.clone();
    cancelled.cancelled = true;
    let mut declined = base.clone();
    declined.my_status = Some(PartStat::Declined);
    let mut free = base.clone();
    free.free = true;
    let mut all_day = base.clone();
    all_day.all_day = true;
    for o in [&cancelled, &declined, &free, &all_day] {
        let p = plan(std::slice::from_ref(o), &cfg(), None, &empty(), since, now);
        assert!(p.fire.is_empty() && p.next_due.is_none(), "{o:?}");
    }
    // Tentative and accepted ones do notify.
    let mut tentative = base.clone();
    tentative.my_status = Some(PartStat::Tentative);
    // Lead and start are both due in this one round: one notification stands for both.
    let p = plan(&[tentative], &cfg(), None, &empty(), since, now);
    assert_eq!((p.fire.len(), p.superseded.len()), (1, 1));
    // Settings turn free and all-day back on.
    let mut c = cfg();
    c.notify_free = true;
    c.notify_all_day = true;
    // Each of the two reminds once this round (its other due alarms stand behind it).
    let p = plan(&[free, all_day], &c, None, &empty(), since, now);
    assert_eq!(p.fire.len(), 2);
    assert!(!p.superseded.is_empty());
    // notify.enabled = false: nothing at all, not even a next wake-up.
    let mut c = cfg();
    c.enabled = false;
    let p = plan(&[base], &c, None, &empty(), since, now);
    assert!(p.fire.is_empty() && p.next_due.is_none());
}

#[test]
fn case24_cancelled_override_suppresses_only_that_instance() {
    let mut a = occ("series", "2026-03-02T10:00:00Z");
    a.recurrence_id = Some(a.start);
    let mut b = occ("series", "2026-03-03T10:00:00Z");
    b.recurrence_id = Some(b.start);
    b.cancelled = true;
    let day1 = plan(
        &[a.clone(), b.clone()],
        &cfg(),
        None,
        &empty(),
        t("2026-03-02T09:00:00Z"),
        t("2026-03-02T10:00:00Z"),
    );
    assert_eq!(
        (day1.fire.len(), day1.superseded.len()),
        (1, 1),
        "the 2 March instance reminds (lead and start, due in one round: one notification)"
    );
    let day2 = plan(
        &[a, b],
        &cfg(),
        None,
        &empty(),
        t("2026-03-03T09:00:00Z"),
        t("2026-03-03T10:00:00Z"),
    );
    assert!(
        day2.fire.is_empty() && day2.next_due.is_none(),
        "the cancelled 3 March instance does not"
    );
}

#[test]
fn case41_missed_by_20_min_is_shown_once_marked_late() {
    // Alarm at T+10 min, suspended from T+5 to T+30.
    let clock = TestClock::new(t("2026-03-02T09:00:00Z"));
    let o = vec![occ("a", "2026-03-02T09:15:00Z")]; // lead 5 min → due 09:10
    let mut c = cfg();
    c.at_start = false;
    clock.advance(Duration::minutes(5));
    let p = plan(
        &o,
        &c,
        None,
        &empty(),
        t("2026-03-02T09:00:00Z"),
        clock.now(),
    );
    assert!(p.fire.is_empty());
    let since = clock.now();
    clock.advance(Duration::minutes(25)); // resume at T+30
    let p = plan(&o, &c, None, &empty(), since, clock.now());
    assert_eq!(p.fire.len(), 1);
    assert_eq!(p.fire[0].late_by, Some(Duration::minutes(20)));
    assert!(p.summary.is_empty());
}

#[test]
fn case42_long_suspend_summarises_last_12h_and_drops_older() {
    let since = t("2026-03-01T09:00:00Z");
    let now = since + Duration::days(3);
    let mut c = cfg();
    c.at_start = false;
    // One event every 2 h during the 3 days.
    let o: Vec<_> = (1..36)
        .map(|i| {
            let s = since + Duration::hours(2 * i);
            occ(&format!("e{i}"), &s.to_rfc3339())
        })
        .collect();
    let p = plan(&o, &c, None, &empty(), since, now);
    assert!(
        p.fire.is_empty(),
        "all were more than 30 min ago: {:?}",
        fired(&p)
    );
    assert!(!p.summary.is_empty());
    assert!(p
        .summary
        .iter()
        .all(|r| now - r.due <= Duration::hours(12) && now - r.due > Duration::minutes(30)));
    // Due 25 min to 11 h 55 min ago at 2 h spacing: 5 of them.
    assert_eq!(p.summary.len(), 5);
}

#[test]
fn case45_clock_jump_back_does_not_refire_what_the_ledger_has() {
    let o = vec![occ("a", "2026-03-02T10:00:00Z")];
    let mut ledger = empty();
    for alarm in [AlarmId::Lead, AlarmId::Start] {
        ledger.insert(
            LedgerKey::new(&o[0], &alarm),
            LedgerEntry {
                event_start: o[0].start,
                due: o[0].start,
                state: LedgerState::Fired,
                snooze_until: None,
            },
        );
    }
    // Clock set back one hour, then time passes over the same instants again.
    let p = plan(
        &o,
        &cfg(),
        None,
        &ledger,
        t("2026-03-02T09:05:00Z"),
        t("2026-03-02T10:05:00Z"),
    );
    assert!(p.fire.is_empty() && p.summary.is_empty() && p.next_due.is_none());
}

#[test]
fn case45_clock_jump_forward_never_fires_future_reminders_early() {
    let o = vec![
        occ("a", "2026-03-02T10:00:00Z"),
        occ("b", "2026-03-02T12:00:00Z"),
    ];
    let p = plan(
        &o,
        &cfg(),
        None,
        &empty(),
        t("2026-03-02T09:00:00Z"),
        t("2026-03-02T10:10:00Z"),
    );
    assert!(p.fire.iter().all(|f| f.reminder.occurrence.uid == "a"));
    assert_eq!(p.next_due, Some(t("2026-03-02T11:55:00Z")));
}

#[test]
fn case44_47_snooze_is_due_at_its_end_and_void_when_the_event_moves() {
    let o = occ("a", "2026-03-02T10:00:00Z");
    let mut ledger = empty();
    ledger.insert(
        LedgerKey::new(&o, &AlarmId::Lead),
        LedgerEntry {
            event_start: o.start,
            due: o.start,
            state: LedgerState::Snoozed,
            snooze_until: Some(t("2026-03-02T10:05:00Z")),
        },
    );
    ledger.insert(
        LedgerKey::new(&o, &AlarmId::Start),
        LedgerEntry {
            event_start: o.start,
            due: o.start,
            state: LedgerState::Fired,
            snooze_until: None,
        },
    );
    let since = t("2026-03-02T09:56:00Z");
    let p = plan(
        std::slice::from_ref(&o),
        &cfg(),
        None,
        &ledger,
        since,
        t("2026-03-02T10:04:59Z"),
    );
    assert!(p.fire.is_empty());
    assert_eq!(p.next_due, Some(t("2026-03-02T10:05:00Z")));
    let p = plan(
        std::slice::from_ref(&o),
        &cfg(),
        None,
        &ledger,
        since,
        t("2026-03-02T10:05:00Z"),
    );
    assert_eq!(p.fire.len(), 1);
    assert!(p.fire[0].reminder.snoozed);

    // Case 47: the feed moves the event to 11:00 (a single event: its key changes; an
    // override of a series keeps its RECURRENCE-ID and only the start differs).
    let mut moved = o.clone();
    moved.recurrence_id = Some(o.start);
    let mut ledger2 = empty();
    ledger2.insert(
        LedgerKey::new(&moved, &AlarmId::Lead),
        LedgerEntry {
            event_start: o.start,
            due: o.start,
            state: LedgerState::Snoozed,
            snooze_until: Some(t("2026-03-02T10:05:00Z")),
        },
    );
    moved.start = t("2026-03-02T11:00:00Z");
    moved.end = moved.start + Duration::minutes(30);
    let p = plan(
        std::slice::from_ref(&moved),
        &cfg(),
        None,
        &ledger2,
        since,
        t("2026-03-02T10:30:00Z"),
    );
    assert!(p.fire.is_empty(), "the old snooze no longer applies");
    assert_eq!(
        p.next_due,
        Some(t("2026-03-02T10:55:00Z")),
        "the normal alarm is rescheduled"
    );
}

#[test]
fn pause_skips_reminders_due_during_it_and_resumes_after() {
    let o = vec![
        occ("a", "2026-03-02T10:00:00Z"),
        occ("b", "2026-03-02T12:00:00Z"),
    ];
    let pause = Some(t("2026-03-02T11:00:00Z"));
    let p = plan(
        &o,
        &cfg(),
        pause,
        &empty(),
        t("2026-03-02T09:00:00Z"),
        t("2026-03-02T10:30:00Z"),
    );
    assert!(p.fire.is_empty() && p.summary.is_empty());
    assert_eq!(p.paused, 2);
    assert_eq!(
        p.next_due,
        Some(t("2026-03-02T11:55:00Z")),
        "no wake-up for reminders inside the pause"
    );
}

#[test]
fn case46_all_day_alarm_follows_the_expansion_zone_utc_ones_do_not() {
    // ALLDAY (case 18) + TZ-CHANGE (46): an all-day event on 5 July with a -PT15H alarm.
    // The engine anchors all-day occurrences at local midnight of the user's zone, so a
    // zone change is a re-expansion; the planner follows the new instants.
    let mut c = cfg();
    c.notify_all_day = true;
    c.lead_minutes = 0;
    c.at_start = false;
    let berlin = chrono_tz::Europe::Berlin;
    let ny = chrono_tz::America::New_York;
    let day = NaiveDate::from_ymd_opt(2026, 7, 5).unwrap();
    let all_day_in = |tz: chrono_tz::Tz| {
        let mut o = occ("allday", "2026-07-05T00:00:00Z");
        o.all_day = true;
        o.start_date = Some(day);
        o.start = tz
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        o.end = o.start + Duration::days(1);
        o.alarms = vec![AlarmTrigger::Relative {
            seconds: -15 * 3600,
        }];
        o
    };
    let mut utc = occ("utc", "2026-07-05T14:00:00Z");
    utc.alarms = vec![AlarmTrigger::Relative { seconds: -600 }];
    let since = t("2026-07-04T00:00:00Z");
    let p = plan(
        &[all_day_in(berlin), utc.clone()],
        &c,
        None,
        &empty(),
        since,
        since,
    );
    assert_eq!(
        p.next_due,
        Some(t("2026-07-04T07:00:00Z")),
        "09:00 Berlin the day before"
    );
    let p = plan(
        &[all_day_in(ny), utc.clone()],
        &c,
        None,
        &empty(),
        since,
        since,
    );
    assert_eq!(
        p.next_due,
        Some(t("2026-07-04T13:00:00Z")),
        "09:00 New York the day before"
    );
    let p = plan(&[utc], &c, None, &empty(), since, t("2026-07-04T14:00:00Z"));
    assert_eq!(
        p.next_due,
        Some(t("2026-07-05T13:50:00Z")),
        "UTC-anchored alarm unchanged"
    );
}

#[test]
fn at_most_three_valarms_per_occurrence_the_latest_ones() {
    let mut o = occ("a", "2026-03-02T10:00:00Z");
    // 100 VALARMs, every minute before the start, in a shuffled order, some duplicated.
    o.alarms = (1..=100)
        .rev()
        .chain([7, 3])
        .map(|m| AlarmTrigger::Relative { seconds: -60 * m })
        .collect();
    let a = alarms_of(&o, &cfg());
    assert_eq!(
        a,
        vec![
            (AlarmId::Lead, t("2026-03-02T09:55:00Z")),
            (AlarmId::ValarmRelative(-180), t("2026-03-02T09:57:00Z")),
            (AlarmId::ValarmRelative(-120), t("2026-03-02T09:58:00Z")),
            (AlarmId::ValarmRelative(-60), t("2026-03-02T09:59:00Z")),
            (AlarmId::Start, t("2026-03-02T10:00:00Z")),
        ]
    );
}

#[test]
fn one_notification_per_occurrence_per_round_the_rest_superseded() {
    let mut o = occ("a", "2026-03-02T10:00:00Z");
    o.alarms = vec![AlarmTrigger::Relative { seconds: -120 }];
    let b = occ("b", "2026-03-02T10:00:00Z");
    let since = t("2026-03-02T09:50:00Z");
    let p = plan(
        &[o, b],
        &cfg(),
        None,
        &empty(),
        since,
        t("2026-03-02T10:00:30Z"),
    );
    assert_eq!(
        fired(&p),
        vec![
            ("a".into(), AlarmId::Start, t("2026-03-02T10:00:00Z")),
            ("b".into(), AlarmId::Start, t("2026-03-02T10:00:00Z")),
        ]
    );
    let mut sup: Vec<_> = p
        .superseded
        .iter()
        .map(|r| (r.occurrence.uid.clone(), r.alarm.clone()))
        .collect();
    sup.sort_by_key(|(u, a)| (u.clone(), a.as_key()));
    assert_eq!(
        sup,
        vec![
            ("a".into(), AlarmId::Lead),
            ("a".into(), AlarmId::ValarmRelative(-120)),
            ("b".into(), AlarmId::Lead),
        ]
    );
}

#[test]
fn a_claimed_row_is_due_again_whatever_the_watermark() {
    let o = occ("a", "2026-03-02T10:00:00Z");
    let key = LedgerKey::new(&o, &AlarmId::Lead);
    let mut ledger = empty();
    ledger.insert(
        key,
        LedgerEntry {
            event_start: o.start,
            due: t("2026-03-02T09:55:00Z"),
            state: LedgerState::Claimed,
            snooze_until: None,
        },
    );
    let now = t("2026-03-02T09:55:04Z");
    // The watermark is already past the due instant (the round that claimed it ran).
    let p = plan(&[o], &cfg(), None, &ledger, t("2026-03-02T09:55:02Z"), now);
    assert_eq!(
        fired(&p),
        vec![("a".into(), AlarmId::Lead, t("2026-03-02T09:55:00Z"))]
    );
    assert_eq!(p.fire[0].late_by, None, "4 s is not late");
}

fn nagging() -> ReminderConfig {
    ReminderConfig {
        nag: true,
        at_start: false,
        ..cfg()
    }
}

fn acknowledged(o: &Occurrence) -> LedgerView {
    let key = LedgerKey::new(o, &AlarmId::Lead).acknowledged();
    let entry = LedgerEntry {
        event_start: o.start,
        due: o.start - Duration::minutes(5),
        state: LedgerState::Dismissed,
        snooze_until: None,
    };
    HashMap::from([(key, entry)])
}

#[test]
fn nagging_reminds_at_the_start_and_two_minutes_later() {
    let o = occ("a", "2026-03-02T10:00:00Z");
    assert_eq!(
        alarms_of(&o, &nagging()),
        vec![
            (AlarmId::Lead, t("2026-03-02T09:55:00Z")),
            (AlarmId::Start, t("2026-03-02T10:00:00Z")),
            (AlarmId::Nag, t("2026-03-02T10:02:00Z")),
        ]
    );
    // Off by default: neither the repeat nor (with at_start off) the start reminder.
    let plain = ReminderConfig {
        at_start: false,
        ..cfg()
    };
    assert_eq!(alarms_of(&o, &plain).len(), 1);
    // A meeting shorter than the repeat gets no repeat.
    let mut short = o.clone();
    short.end = short.start + Duration::minutes(1);
    assert!(!alarms_of(&short, &nagging())
        .iter()
        .any(|(a, _)| *a == AlarmId::Nag));
    let since = t("2026-03-02T10:01:00Z");
    let p = plan(
        &[o],
        &nagging(),
        None,
        &empty(),
        since,
        t("2026-03-02T10:02:00Z"),
    );
    assert_eq!(
        fired(&p),
        vec![("a".into(), AlarmId::Nag, t("2026-03-02T10:02:00Z"))]
    );
}

#[test]
fn nagging_stops_once_the_user_acted_on_the_occurrence() {
    let o = occ("a", "2026-03-02T10:00:00Z");
    let since = t("2026-03-02T09:59:00Z");
    let now = t("2026-03-02T10:02:00Z");
    let p = plan(
        std::slice::from_ref(&o),
        &nagging(),
        None,
        &acknowledged(&o),
        since,
        now,
    );
    assert!(p.fire.is_empty(), "{:?}", fired(&p));
    assert_eq!(p.next_due, None);
    // An at-start reminder the user asked for stays: only the nagging stops.
    let both = ReminderConfig {
        at_start: true,
        ..nagging()
    };
    let p = plan(
        std::slice::from_ref(&o),
        &both,
        None,
        &acknowledged(&o),
        since,
        now,
    );
    assert_eq!(
        fired(&p),
        vec![("a".into(), AlarmId::Start, t("2026-03-02T10:00:00Z"))]
    );
    // An acknowledgement written for another start (the meeting moved) is void.
    let mut moved = o.clone();
    moved.start += Duration::hours(1);
    moved.end += Duration::hours(1);
    let p = plan(
        &[moved],
        &nagging(),
        None,
        &acknowledged(&o),
        t("2026-03-02T10:59:00Z"),
        t("2026-03-02T11:00:00Z"),
    );
    assert_eq!(fired(&p).len(), 1);
}
