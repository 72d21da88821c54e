//! One RRULE's instances inside a range of naive local wall time, within a budget.
//!
//! The rule runs on NAIVE local time: the rrule crate gets the wall-clock DTSTART on a
//! UTC "carrier" (no DST there), and the caller converts each local instance to UTC with
//! its zone ([`super::tz::Zone`]). This keeps custom VTIMEZONEs working, puts instances in
//! DST gaps at the shifted time instead of dropping them, and keeps "09:00 every Monday"
//! at 09:00 across DST changes.
//!
//! Bounded work (RELIABILITY 26-29):
//! - skip-ahead: a DAILY/WEEKLY or sub-daily rule that began long before the range has its
//!   DTSTART moved forward by whole intervals (with COUNT only when each interval is exactly
//!   one instance, i.e. no BY* parts, and COUNT is reduced accordingly);
//!   MONTHLY/YEARLY rules without COUNT move by whole periods (keeping DTSTART's day);
//! - a rule whose BYHOUR×BYMINUTE×BYSECOND cross product would make the rrule crate
//!   buffer millions of instances per period is not run (DTSTART only, truncated);
//! - at most [`Limits::max_counted`] instances in the window and [`Limits::max_steps`]
//!   iterations (instances yielded, before the window included), both given by the
//!   expansion's [`super::budget::Budget`]; hitting either sets `truncated`. Work is
//!   counted, never timed: the same input gives the same output on any machine.
//! - rrule's own loop limit (`RRuleSet::limit`) stops rules that can never match
//!   (e.g. February 30th).
//!
//! HOURLY/MINUTELY/SECONDLY rules with an INTERVAL and BY* parts are expanded by
//! [`super::subdaily`] instead (the crate loses their phase; F2 of the differential test).

use std::str::FromStr;

use chrono::{Datelike, Duration, Months, NaiveDateTime, TimeZone};

use super::subdaily;

/// Candidate instances per period above which a rule is refused.
const MAX_PERIOD_CANDIDATES: u64 = 50_000;

/// The outcome of one rule.
#[derive(Debug, Default)]
pub struct RuleInstances {
    /// Local wall times in `[from, to)`, ascending.
    pub starts: Vec<NaiveDateTime>,
    /// A budget or cap was hit; more instances may exist.
    pub truncated: bool,
    /// The rule could not be used (reason in words); the caller shows DTSTART once.
    pub error: Option<String>,
    /// Iterations used (instances the rrule crate yielded).
    pub steps: u64,
    /// Instances counted against [`Limits::max_counted`].
    pub counted: usize,
}

/// The share of the expansion's budget one rule may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Instances inside `[count_from, count_to)` kept at most.
    pub max_counted: usize,
    /// Instances yielded at most, wherever they fall.
    pub max_steps: u64,
}

impl Limits {
    /// No practical limit (tests, tools).
    pub const NONE: Limits = Limits {
        max_counted: usize::MAX,
        max_steps: u64::MAX,
    };
}

/// How UNTIL is turned into local wall time: UTC values need the event's zone.
pub trait UntilConv {
    fn utc_to_local(&self, utc: NaiveDateTime) -> NaiveDateTime;
}

impl<F: Fn(NaiveDateTime) -> NaiveDateTime> UntilConv for F {
    fn utc_to_local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        self(utc)
    }
}

const KEPT_PARTS: &[&str] = &[
    "FREQ",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
];

/// Local wall-time range of one expansion. Instances are kept in `[from, to)`; only those in
/// `[count_from, count_to)` (the window proper) count towards [`Limits::max_counted`], so the
/// margins the caller adds for DST gaps do not use up a dense rule's budget.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub from: NaiveDateTime,
    pub count_from: NaiveDateTime,
    pub count_to: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// Expands `rule` from `dtstart` (local wall time), keeping instances in `range`.
/// `all_day` rules compare UNTIL as a date.
pub fn instances(
    rule: &str,
    dtstart: NaiveDateTime,
    all_day: bool,
    until_conv: &dyn UntilConv,
    range: Range,
    limits: Limits,
) -> RuleInstances {
    let Range {
        from,
        count_from,
        count_to,
        to,
    } = range;
    let mut counted = 0usize;
    let mut out = RuleInstances::default();
    let mut kept: Vec<String> = Vec::new();
    let mut freq = String::new();
    let mut interval: i64 = 1;
    let mut count: Option<u64> = None;
    let mut until: Option<NaiveDateTime> = None;
    let mut has_by = false;
    let mut cross: u64 = 1;
    for part in rule.trim().trim_start_matches("RRULE:").split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let k = k.trim().to_ascii_uppercase();
        let v = v.trim();
        match k.as_str() {
            "COUNT" => {
                count = v.parse().ok();
                if count.is_none() {
                    out.error = Some("unreadable COUNT".into());
                    return out;
                }
            }
            "UNTIL" => {
                until = parse_until(v, all_day, until_conv);
                if until.is_none() {
                    out.error = Some("unreadable UNTIL".into());
                    return out;
                }
            }
            _ if KEPT_PARTS.contains(&k.as_str()) => {
                match k.as_str() {
                    "FREQ" => freq = v.to_ascii_uppercase(),
                    "INTERVAL" => interval = v.parse().unwrap_or(1).max(1),
                    "BYHOUR" | "BYMINUTE" | "BYSECOND" => {
                        has_by = true;
                        cross = cross.saturating_mul(v.split(',').count() as u64);
                    }
                    _ => has_by = true,
                }
                kept.push(format!("{k}={v}"));
            }
            _ => {}
        }
    }
    // The rrule crate takes INTERVAL as 16 bits; RFC 5545 sets no bound. A plain rule with
    // a larger one is the same rule in a coarser unit (SECONDLY;INTERVAL=86400 is DAILY).
    if interval > i64::from(u16::MAX) && !has_by {
        let unit = match freq.as_str() {
            "SECONDLY" => 1,
            "MINUTELY" => 60,
            "HOURLY" => 3_600,
            _ => 0,
        };
        let total = interval.saturating_mul(unit);
        let coarser = [
            ("WEEKLY", 604_800),
            ("DAILY", 86_400),
            ("HOURLY", 3_600),
            ("MINUTELY", 60),
        ]
        .into_iter()
        .find(|(_, u)| unit > 0 && total % u == 0 && total / u <= i64::from(u16::MAX));
        if let Some((f, u)) = coarser {
            freq = f.to_string();
            interval = total / u;
            kept.retain(|p| !p.starts_with("FREQ=") && !p.starts_with("INTERVAL="));
            kept.push(format!("FREQ={freq}"));
            kept.push(format!("INTERVAL={interval}"));
        }
    }
    let period_days: u64 = match freq.as_str() {
        "YEARLY" => 366,
        "MONTHLY" => 31,
        "WEEKLY" => 7,
        _ => 1,
    };
    if cross.saturating_mul(period_days) > MAX_PERIOD_CANDIDATES {
        out.truncated = true;
        out.error = Some("recurrence rule too dense; only DTSTART shown".into());
        return out;
    }

    // Skip-ahead (see the module header).
    let mut start = dtstart;
    let unit: Option<i64> = match freq.as_str() {
        "SECONDLY" => Some(1),
        "MINUTELY" => Some(60),
        "HOURLY" => Some(3_600),
        "DAILY" => Some(86_400),
        "WEEKLY" => Some(604_800),
        _ => None,
    };
    // (An absurd INTERVAL overflows nothing: no skip-ahead then, the rule just runs.)
    let step_secs = unit.and_then(|u| u.checked_mul(interval));
    let target = step_secs
        .and_then(Duration::try_seconds)
        .and_then(|d| from.checked_sub_signed(d));
    if let (Some(step), Some(target)) = (step_secs, target) {
        if start < target && (count.is_none() || !has_by) {
            let k = (target - start).num_seconds() / step;
            if let Some(c) = count {
                let c = c as i64;
                if k >= c {
                    return out;
                }
                count = Some((c - k) as u64);
            }
            start += Duration::seconds(k * step);
        }
    }
    // MONTHLY and YEARLY rules without COUNT move forward by whole periods too, while
    // keeping a year of margin (BYWEEKNO and BYSETPOS work within a period, so whole
    // periods never change which instances exist); only when DTSTART's day exists in every
    // month, so the shifted DTSTART keeps its day.
    let months_per = match freq.as_str() {
        "YEARLY" => interval.checked_mul(12),
        "MONTHLY" => Some(interval),
        _ => None,
    };
    if let (Some(per), None, true) = (months_per, count, start.day() <= 28) {
        let target = from - Duration::days(400);
        if start < target && per > 0 {
            let months = i64::from(target.year() - start.year()) * 12 + i64::from(target.month())
                - i64::from(start.month());
            let k = months / per;
            if let Some(shifted) = u32::try_from(k * per)
                .ok()
                .and_then(|m| start.checked_add_months(Months::new(m)))
            {
                start = shifted;
            }
        }
    }
    if let Some(u) = until {
        if u < start {
            // UNTIL before (the shifted) DTSTART: nothing from the rule in range. When the
            // original DTSTART is after UNTIL too, the rule is invalid (case 30).
            if u < dtstart {
                out.error = Some("UNTIL is before DTSTART".into());
            }
            return out;
        }
    }

    // Sub-daily rules with an INTERVAL and BY* parts: the crate loses their phase.
    if let Some(rule) = subdaily::Rule::from_parts(&kept) {
        let walk = subdaily::series(
            &rule,
            dtstart,
            start,
            subdaily::Bounds {
                count,
                until,
                stop: to,
                max_steps: limits.max_steps,
            },
            |t| {
                if t >= from {
                    if t >= count_from && t < count_to {
                        if counted >= limits.max_counted {
                            out.truncated = true;
                            return false;
                        }
                        counted += 1;
                    }
                    out.starts.push(t);
                }
                true
            },
        );
        out.steps = walk.steps;
        out.counted = counted;
        out.truncated |= walk.exhausted;
        return out;
    }

    let carrier = |t: NaiveDateTime| rrule::Tz::UTC.from_utc_datetime(&t);
    let mut parsed = match rrule::RRule::<rrule::Unvalidated>::from_str(&kept.join(";")) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(format!("unusable RRULE ({e})"));
            return out;
        }
    };
    if let Some(c) = count {
        parsed = parsed.count(u32::try_from(c).unwrap_or(u32::MAX));
    }
    if let Some(u) = until {
        parsed = parsed.until(carrier(u));
    }
    let set = match parsed.build(carrier(start)) {
        Ok(s) => s.limit(),
        Err(e) => {
            out.error = Some(format!("unusable RRULE ({e})"));
            return out;
        }
    };
    for dt in &set {
        if out.steps >= limits.max_steps {
            out.truncated = true;
            break;
        }
        out.steps += 1;
        let t = dt.naive_utc();
        if t >= to {
            break;
        }
        if t >= from {
            if t >= count_from && t < count_to {
                if counted >= limits.max_counted {
                    out.truncated = true;
                    break;
                }
                counted += 1;
            }
            out.starts.push(t);
        }
    }
    out.counted = counted;
    out
}

/// A rule's estimated seconds between instances, for ordering events from the sparsest
/// to the densest (see [`super::budget`]): the period (FREQ x INTERVAL) divided by the
/// number of values each expanding BY part lists. Crude on purpose: it is only an order.
pub fn spacing_secs(rule: &str) -> u64 {
    let mut period: u64 = 86_400;
    let mut interval: u64 = 1;
    let mut per_period: u64 = 1;
    for part in rule.trim().trim_start_matches("RRULE:").split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let n = v.split(',').filter(|x| !x.trim().is_empty()).count().max(1) as u64;
        match k.trim().to_ascii_uppercase().as_str() {
            "FREQ" => {
                period = match v.trim().to_ascii_uppercase().as_str() {
                    "SECONDLY" => 1,
                    "MINUTELY" => 60,
                    "HOURLY" => 3_600,
                    "DAILY" => 86_400,
                    "WEEKLY" => 604_800,
                    "MONTHLY" => 2_592_000,
                    _ => 31_536_000,
                }
            }
            "INTERVAL" => interval = v.trim().parse().unwrap_or(1).max(1),
            "BYSECOND" | "BYMINUTE" | "BYHOUR" | "BYDAY" | "BYMONTHDAY" | "BYYEARDAY"
            | "BYWEEKNO" | "BYMONTH" => per_period = per_period.saturating_mul(n),
            _ => {}
        }
    }
    (period.saturating_mul(interval) / per_period).max(1)
}

fn parse_until(v: &str, all_day: bool, conv: &dyn UntilConv) -> Option<NaiveDateTime> {
    if let Some((at, utc)) = super::value::parse_date_time(v) {
        let local = if utc { conv.utc_to_local(at) } else { at };
        if all_day {
            // Compare dates: an all-day instance on UNTIL's local date is included.
            return local.date().and_hms_opt(0, 0, 0);
        }
        return Some(local);
    }
    let d = super::value::parse_date(v)?;
    if all_day {
        d.and_hms_opt(0, 0, 0)
    } else {
        // A DATE UNTIL with a DATE-TIME DTSTART (invalid, common): the whole day counts.
        d.and_hms_opt(23, 59, 59)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        super::super::value::parse_date_time(s).unwrap().0
    }

    fn ident(t: NaiveDateTime) -> NaiveDateTime {
        t
    }

    fn range(from: NaiveDateTime, to: NaiveDateTime) -> Range {
        Range {
            from,
            count_from: from,
            count_to: to,
            to,
        }
    }

    #[test]
    fn minutely_since_2000_skips_ahead_and_stops_at_its_limit() {
        let r = instances(
            "FREQ=MINUTELY",
            dt("20000101T000000"),
            false,
            &ident,
            range(dt("20260301T000000"), dt("20260308T000000")),
            Limits {
                max_counted: 1000,
                max_steps: u64::MAX,
            },
        );
        assert_eq!(r.starts.len(), 1000);
        assert!(r.truncated);
        assert_eq!(r.starts[0], dt("20260301T000000"));
        // Skip-ahead: about one interval of iterations before the window, not 13 million.
        assert!(r.steps < 1100, "{} steps", r.steps);
    }

    #[test]
    fn the_step_limit_is_counted_work_not_time() {
        let run = || {
            instances(
                "FREQ=MONTHLY;COUNT=100000;BYMONTHDAY=1,2,3,4,5,6,7,8,9,10",
                dt("19000101T090000"),
                false,
                &ident,
                range(dt("20260101T000000"), dt("20270101T000000")),
                Limits {
                    max_counted: usize::MAX,
                    max_steps: 500,
                },
            )
        };
        let (a, b) = (run(), run());
        assert!(a.truncated);
        assert_eq!(a.steps, 500);
        assert_eq!(a.starts, b.starts);
    }

    #[test]
    fn hourly_over_a_century_is_whole() {
        let r = instances(
            "FREQ=HOURLY",
            dt("20000101T000000"),
            false,
            &ident,
            range(dt("20000101T000000"), dt("21000101T000000")),
            Limits {
                max_counted: 880_000,
                max_steps: 2_000_000,
            },
        );
        assert!(!r.truncated);
        assert_eq!(r.starts.len(), 876_600);
    }

    #[test]
    fn monthly_from_1600_skips_ahead_by_whole_periods() {
        let r = instances(
            "FREQ=MONTHLY;INTERVAL=5;BYDAY=2TU",
            dt("16000104T090000"),
            false,
            &ident,
            range(dt("20260101T000000"), dt("20270101T000000")),
            Limits::NONE,
        );
        assert!(r.steps < 10, "{} steps", r.steps);
        // Months 1600-01 + 5k: 2026-01 is month 5112 = 5*1022 + 2, so 2026-04 and 2026-09.
        assert_eq!(r.starts, [dt("20260414T090000"), dt("20260908T090000")]);
    }

    #[test]
    fn secondly_with_an_interval_of_a_day_is_daily() {
        // diff-findings F3: the rrule crate refuses INTERVAL > 65535.
        let r = instances(
            "FREQ=SECONDLY;INTERVAL=86400;COUNT=35",
            dt("20251119T173000"),
            false,
            &ident,
            range(dt("20251101T000000"), dt("20260201T000000")),
            Limits::NONE,
        );
        assert!(r.error.is_none(), "{:?}", r.error);
        assert_eq!(r.starts.len(), 35);
        assert_eq!(r.starts[34], dt("20251223T173000"));
    }

    #[test]
    fn spacing_orders_rules_by_density() {
        assert_eq!(spacing_secs("FREQ=MINUTELY"), 60);
        assert_eq!(spacing_secs("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"), 604_800);
        assert!(spacing_secs("FREQ=DAILY;BYHOUR=1,2,3") < spacing_secs("FREQ=DAILY"));
    }

    #[test]
    fn daily_count_huge_skips_ahead() {
        let r = instances(
            "FREQ=DAILY;COUNT=1000000000",
            dt("20000101T090000"),
            false,
            &ident,
            range(dt("20260301T000000"), dt("20260308T000000")),
            Limits::NONE,
        );
        assert_eq!(r.starts.len(), 7);
        assert!(!r.truncated);
        assert_eq!(r.starts[0], dt("20260301T090000"));
    }

    #[test]
    fn daily_count_ends_before_window() {
        let r = instances(
            "FREQ=DAILY;COUNT=10",
            dt("20000101T090000"),
            false,
            &ident,
            range(dt("20260301T000000"), dt("20260308T000000")),
            Limits::NONE,
        );
        assert!(r.starts.is_empty());
    }

    #[test]
    fn until_before_start() {
        let r = instances(
            "FREQ=DAILY;UNTIL=20250101T000000Z",
            dt("20260101T090000"),
            false,
            &ident,
            range(dt("20260101T000000"), dt("20260108T000000")),
            Limits::NONE,
        );
        assert!(r.error.is_some());
        assert!(r.starts.is_empty());
    }
}
