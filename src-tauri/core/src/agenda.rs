//! Agenda queries shared by the command line, the tray and the window: parsing the
//! window bounds, expanding every calendar into one sorted list within one budget
//! ([`expand_all_report`] says what it cut), and picking the "next meeting".

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::ics::{self, Budget, Calendar, ExpandOptions, Truncation};
use crate::model::{Occurrence, PartStat, Window};
use crate::settings::Settings;

/// A calendar together with where it came from.
#[derive(Debug, Clone)]
pub struct SourceCalendar {
    pub source_id: Option<i64>,
    pub name: String,
    pub calendar: Calendar,
}

/// Reads WHEN: a date (`2026-03-01`, midnight in `tz`) or an RFC 3339 date-time.
pub fn parse_when(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!("'{text}' is neither a date (2026-03-01) nor an RFC 3339 date-time")
    })?;
    Ok(start_of_day(date, tz))
}

/// The first instant of `date` in `tz` (a zone whose midnight falls in a DST gap starts
/// the day at the end of the gap).
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(NaiveTime::MIN);
    // Gaps are at most a few hours; step forward until the wall time exists.
    for _ in 0..(26 * 4) {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// What one source's expansion left out (see [`ics::budget`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCut {
    pub source_id: Option<i64>,
    pub name: String,
    pub truncation: Truncation,
}

/// An agenda and what its budget cut.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Agenda {
    /// Sorted by start, then summary.
    pub occurrences: Vec<Occurrence>,
    /// True when any source was cut; the details are in `cuts`.
    pub truncated: bool,
    /// One entry per source that was cut.
    pub cuts: Vec<SourceCut>,
}

/// Expands every calendar into one list sorted by start (then summary, for a stable
/// order), applying the user's settings. See [`expand_all_report`].
pub fn expand_all(
    calendars: &[SourceCalendar],
    window: Window,
    tz: Tz,
    settings: &Settings,
) -> Vec<Occurrence> {
    expand_all_report(calendars, window, tz, settings).occurrences
}

/// [`expand_all`] with what was cut. The whole agenda shares one budget
/// ([`Budget::for_window`]): each calendar gets an equal share of what the earlier ones
/// left, so a hostile feed cannot take the memory of the others, and the total is bounded
/// whatever the number of feeds.
pub fn expand_all_report(
    calendars: &[SourceCalendar],
    window: Window,
    tz: Tz,
    settings: &Settings,
) -> Agenda {
    let mut budget = Budget::for_window(window);
    let mut agenda = Agenda::default();
    // Which calendar each occurrence came from (for the one sort below).
    let mut from_calendar: Vec<u32> = Vec::new();
    for (i, c) in calendars.iter().enumerate() {
        let opts = ExpandOptions {
            window,
            tz,
            source: c.name.clone(),
            source_id: c.source_id,
            me_emails: settings.me_emails.clone(),
            canceled_prefix: settings.canceled_prefix,
        };
        let share = budget.share(calendars.len() - i);
        let mut left = share.clone();
        let (occurrences, truncation) = ics::expand::expand_unsorted(&c.calendar, &opts, &mut left);
        budget.spent(&share, &left);
        if truncation.truncated {
            agenda.truncated = true;
            agenda.cuts.push(SourceCut {
                source_id: c.source_id,
                name: c.name.clone(),
                truncation,
            });
        }
        let n = u32::try_from(i).unwrap_or(u32::MAX);
        from_calendar.resize(from_calendar.len() + occurrences.len(), n);
        agenda.occurrences.extend(occurrences);
    }
    // One sort, by (start, summary), then each feed's own order (calendar, then
    // `expand::occurrence_order`, then the order made in): the same list as sorting each
    // feed and then stably by (start, summary), without sorting twice. Small keys are
    // sorted and each occurrence is moved once, in place (an agenda near its budget is
    // large).
    let all = std::mem::take(&mut agenda.occurrences);
    let mut keys: Vec<usize> = (0..all.len()).collect();
    keys.sort_unstable_by(|&a, &b| {
        let (x, y) = (&all[a], &all[b]);
        x.start
            .cmp(&y.start)
            .then_with(|| x.summary.cmp(&y.summary))
            .then_with(|| from_calendar[a].cmp(&from_calendar[b]))
            .then_with(|| ics::expand::occurrence_order(x, y))
            .then(a.cmp(&b))
    });
    agenda.occurrences = ics::expand::apply_order(all, &keys);
    agenda
}

/// An occurrence the user will attend: not cancelled, not declined.
pub fn is_attended(o: &Occurrence) -> bool {
    !o.cancelled && o.my_status != Some(PartStat::Declined)
}

/// How long before its start an upcoming meeting takes precedence over the one in
/// progress (the original CalendarBot's rule).
pub const UPCOMING_PRECEDENCE: Duration = Duration::minutes(10);

/// The meeting to show as "next": the first upcoming timed, attended, busy event;
/// a meeting in progress wins unless the upcoming one starts within
/// [`UPCOMING_PRECEDENCE`].
pub fn next_meeting(occurrences: &[Occurrence], now: DateTime<Utc>) -> Option<&Occurrence> {
    let candidates = || {
        occurrences
            .iter()
            .filter(|o| is_attended(o) && !o.all_day && !o.free)
    };
    let upcoming = candidates()
        .filter(|o| o.start > now)
        .min_by_key(|o| o.start);
    let current = candidates()
        .filter(|o| o.in_progress(now))
        .min_by_key(|o| o.end);
    match (current, upcoming) {
        (Some(c), Some(u)) if u.start - now > UPCOMING_PRECEDENCE => Some(c),
        (Some(c), None) => Some(c),
        (_, Some(u)) => Some(u),
        (None, None) => None,
    }
}

/// How far ahead a linked meeting of tomorrow may be joined once today has no meeting
/// left (a call just after midnight); otherwise Join never reaches into tomorrow.
pub const JOIN_AHEAD_TOMORROW: Duration = Duration::hours(1);

/// The meeting "Join next meeting" opens, for the tray, the window and the API alike:
/// the linked meeting a person means.
///
/// Among attended, busy, timed meetings with a link:
/// - one starting within [`UPCOMING_PRECEDENCE`] wins over one in progress (you are
///   leaving the current call for the next);
/// - otherwise the one in progress (ending first, as in [`next_meeting`]);
/// - otherwise the next one starting later today, even while a meeting without a link
///   is in progress (that meeting must not disable Join);
/// - a meeting of a later day (in `tz`) only when today has no meeting left at all and
///   it starts within [`JOIN_AHEAD_TOMORROW`]: never tomorrow's while today has one.
pub fn join_target(occurrences: &[Occurrence], now: DateTime<Utc>, tz: Tz) -> Option<&Occurrence> {
    let meetings = || {
        occurrences
            .iter()
            .filter(|o| is_attended(o) && !o.all_day && !o.free && o.end > now)
    };
    let today = now.with_timezone(&tz).date_naive();
    let is_today = |o: &Occurrence| o.start.with_timezone(&tz).date_naive() <= today;
    let today_left = meetings().any(is_today);
    let linked = || meetings().filter(|o| o.join_url.is_some());
    let current = linked()
        .filter(|o| o.in_progress(now))
        .min_by_key(|o| o.end);
    let upcoming = linked()
        .filter(|o| o.start > now)
        .filter(|o| is_today(o) || (!today_left && o.start - now <= JOIN_AHEAD_TOMORROW))
        .min_by_key(|o| o.start);
    match (current, upcoming) {
        (Some(c), Some(u)) if u.start - now > UPCOMING_PRECEDENCE => Some(c),
        (Some(c), None) => Some(c),
        (_, Some(u)) => Some(u),
        (None, None) => None,
    }
}

/// Whether [`join_target`]'s meeting is near enough that the tray's headline joins it
/// on a click: in progress, or starting within [`UPCOMING_PRECEDENCE`].
pub fn join_is_near(o: &Occurrence, now: DateTime<Utc>) -> bool {
    o.in_progress(now) || (o.start > now && o.start - now <= UPCOMING_PRECEDENCE)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn occ(summary: &str, start: DateTime<Utc>, minutes: i64) -> Occurrence {
        Occurrence::timed(
            "t",
            summary,
            summary,
            start,
            start + Duration::minutes(minutes),
        )
    }

    #[test]
    fn when_accepts_dates_in_the_zone_and_rfc3339() {
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            parse_when("2026-03-01", ny).unwrap().to_rfc3339(),
            "2026-03-01T05:00:00+00:00"
        );
        assert_eq!(
            parse_when("2026-03-01T10:00:00+01:00", ny)
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T09:00:00+00:00"
        );
        assert!(parse_when("tomorrow", ny).is_err());
    }

    #[test]
    fn midnight_in_a_dst_gap_starts_the_day_after_the_gap() {
        // Santiago skips 00:00-01:00 on 2026-09-06.
        let scl: Tz = "America/Santiago".parse().unwrap();
        let t = start_of_day(NaiveDate::from_ymd_opt(2026, 9, 6).unwrap(), scl);
        assert_eq!(t.to_rfc3339(), "2026-09-06T04:00:00+00:00");
    }

    #[test]
    fn in_progress_meeting_yields_to_one_starting_soon() {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        let current = occ("current", now - Duration::minutes(30), 60);
        let soon = occ("soon", now + Duration::minutes(5), 30);
        let later = occ("later", now + Duration::minutes(45), 30);
        assert_eq!(
            next_meeting(&[current.clone(), soon], now).unwrap().summary,
            "soon"
        );
        assert_eq!(
            next_meeting(&[current, later], now).unwrap().summary,
            "current"
        );
    }

    #[test]
    fn cancelled_declined_free_and_all_day_are_never_next() {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        let mut cancelled = occ("cancelled", now + Duration::minutes(1), 30);
        cancelled.cancelled = true;
        let mut declined = occ("declined", now + Duration::minutes(2), 30);
        declined.my_status = Some(PartStat::Declined);
        let mut free = occ("free", now + Duration::minutes(3), 30);
        free.free = true;
        let mut all_day = occ("all day", now + Duration::minutes(4), 30);
        all_day.all_day = true;
        let real = occ("real", now + Duration::hours(2), 30);
        let list = [cancelled, declined, free, all_day, real];
        assert_eq!(next_meeting(&list, now).unwrap().summary, "real");
        assert!(next_meeting(&list[..4], now).is_none());
    }

    fn linked(summary: &str, start: DateTime<Utc>, minutes: i64) -> Occurrence {
        Occurrence {
            join_url: Some(format!("https://meet.example/{summary}")),
            ..occ(summary, start, minutes)
        }
    }

    fn target(list: &[Occurrence], now: DateTime<Utc>) -> Option<&str> {
        join_target(list, now, chrono_tz::UTC).map(|o| o.summary.as_str())
    }

    #[test]
    fn join_targets_the_imminent_linked_meeting() {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        // Only a linked meeting later today: that one.
        let list = [linked("call", now + Duration::minutes(40), 30)];
        assert_eq!(target(&list, now), Some("call"));
        // A meeting without a link is never the target.
        assert_eq!(
            target(&[occ("plain", now + Duration::minutes(5), 30)], now),
            None
        );
        // The earliest linked one wins over a later linked one.
        let list = [
            linked("later", now + Duration::hours(3), 30),
            linked("sooner", now + Duration::minutes(30), 30),
        ];
        assert_eq!(target(&list, now), Some("sooner"));
    }

    #[test]
    fn join_prefers_the_upcoming_meeting_over_the_one_in_progress_once_it_is_near() {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        let current = linked("current", now - Duration::minutes(30), 60);
        let far = linked("next", now + Duration::minutes(11), 30);
        let near = linked("next", now + UPCOMING_PRECEDENCE, 30);
        assert_eq!(target(&[current.clone(), far], now), Some("current"));
        assert_eq!(target(&[current, near], now), Some("next"));
    }

    #[test]
    fn an_unlinked_meeting_in_progress_does_not_disable_join() {
        // Issue 13: during a meeting without a link, a linked call 24 minutes away.
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        let list = [
            occ("focus", now - Duration::minutes(30), 60),
            linked("call", now + Duration::minutes(24), 30),
        ];
        assert_eq!(target(&list, now), Some("call"));
        // The headline still shows the meeting in progress, and a click on it does not
        // join a call 24 minutes away.
        assert_eq!(next_meeting(&list, now).unwrap().summary, "focus");
        assert!(!join_is_near(
            join_target(&list, now, chrono_tz::UTC).unwrap(),
            now
        ));
    }

    #[test]
    fn join_never_offers_tomorrow_while_today_has_a_meeting() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 18:19 in Berlin; a meeting without a link until 19:00, tomorrow's linked standup.
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 16, 19, 0).unwrap();
        let today = occ("wrap-up", now - Duration::minutes(19), 60);
        let tomorrow = linked(
            "standup",
            Utc.with_ymd_and_hms(2026, 5, 5, 7, 30, 0).unwrap(),
            15,
        );
        let list = [today, tomorrow.clone()];
        assert!(join_target(&list, now, berlin).is_none());
        // Today done: still not tomorrow's standup 13 hours away...
        assert!(join_target(std::slice::from_ref(&tomorrow), now, berlin).is_none());
        // ...but the headline shows it.
        assert_eq!(
            next_meeting(std::slice::from_ref(&tomorrow), now)
                .unwrap()
                .summary,
            "standup"
        );
        // A call just after midnight, with today done, is joinable.
        let late = Utc.with_ymd_and_hms(2026, 5, 4, 21, 40, 0).unwrap(); // 23:40 Berlin
        let midnight_call = linked(
            "late call",
            Utc.with_ymd_and_hms(2026, 5, 4, 22, 10, 0).unwrap(),
            30,
        );
        assert_eq!(
            join_target(std::slice::from_ref(&midnight_call), late, berlin)
                .map(|o| o.summary.as_str()),
            Some("late call")
        );
    }

    #[test]
    fn join_skips_declined_cancelled_free_all_day_and_ended_meetings() {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        let mut declined = linked("declined", now + Duration::minutes(1), 30);
        declined.my_status = Some(PartStat::Declined);
        let mut cancelled = linked("cancelled", now + Duration::minutes(2), 30);
        cancelled.cancelled = true;
        let mut free = linked("free", now + Duration::minutes(3), 30);
        free.free = true;
        let mut all_day = linked("all day", now + Duration::minutes(4), 30);
        all_day.all_day = true;
        let ended = linked("ended", now - Duration::minutes(60), 30);
        let real = linked("real", now + Duration::hours(2), 30);
        let list = [declined, cancelled, free, all_day, ended, real];
        assert_eq!(target(&list, now), Some("real"));
        assert_eq!(target(&list[..5], now), None);
    }

    #[test]
    fn join_is_near_in_progress_or_within_the_precedence() {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        assert!(join_is_near(&occ("a", now - Duration::minutes(5), 30), now));
        assert!(join_is_near(&occ("b", now + UPCOMING_PRECEDENCE, 30), now));
        assert!(!join_is_near(
            &occ("c", now + Duration::minutes(11), 30),
            now
        ));
        assert!(!join_is_near(
            &occ("d", now - Duration::minutes(60), 30),
            now
        ));
    }
}
