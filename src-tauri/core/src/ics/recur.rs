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
//! - a rule whose BYHOUR×BYMINUTE×BYSECOND cross product would make the rrule crate
//!   buffer millions of instances per period is not run (DTSTART only, truncated);
//! - at most [`MAX_INSTANCES`] instances and [`TIME_BUDGET`] per rule; hitting either sets
//!   `truncated`.
//! - rrule's own loop limit (`RRuleSet::limit`) stops rules that can never match
//!   (e.g. February 30th).

use std::str::FromStr;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDateTime, TimeZone};

/// Instances kept per rule and window.
pub const MAX_INSTANCES: usize = 1000;
/// Wall-clock time per rule.
pub const TIME_BUDGET: StdDuration = StdDuration::from_millis(10);
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
/// `[count_from, count_to)` (the window proper) count towards [`MAX_INSTANCES`], so the
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
) -> RuleInstances {
    let Range {
        from,
        count_from,
        count_to,
        to,
    } = range;
    let mut counted = 0usize;
    let started = Instant::now();
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
    let step_secs = match freq.as_str() {
        "SECONDLY" => Some(interval),
        "MINUTELY" => Some(60 * interval),
        "HOURLY" => Some(3_600 * interval),
        "DAILY" => Some(86_400 * interval),
        "WEEKLY" => Some(604_800 * interval),
        _ => None,
    };
    if let Some(step) = step_secs {
        let target = from - Duration::seconds(step);
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
    for (i, dt) in (&set).into_iter().enumerate() {
        let t = dt.naive_utc();
        if t >= to {
            break;
        }
        if t >= from {
            if t >= count_from && t < count_to {
                if counted >= MAX_INSTANCES {
                    out.truncated = true;
                    break;
                }
                counted += 1;
            }
            out.starts.push(t);
        }
        if i % 64 == 63 && started.elapsed() > TIME_BUDGET {
            out.truncated = true;
            break;
        }
    }
    out
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
    fn minutely_since_2000_is_fast() {
        let t = Instant::now();
        let r = instances(
            "FREQ=MINUTELY",
            dt("20000101T000000"),
            false,
            &ident,
            range(dt("20260301T000000"), dt("20260308T000000")),
        );
        assert!(t.elapsed() < StdDuration::from_millis(50));
        assert_eq!(r.starts.len(), MAX_INSTANCES);
        assert!(r.truncated);
        assert_eq!(r.starts[0], dt("20260301T000000"));
    }

    #[test]
    fn daily_count_huge_skips_ahead() {
        let r = instances(
            "FREQ=DAILY;COUNT=1000000000",
            dt("20000101T090000"),
            false,
            &ident,
            range(dt("20260301T000000"), dt("20260308T000000")),
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
        );
        assert!(r.error.is_some());
        assert!(r.starts.is_empty());
    }
}
