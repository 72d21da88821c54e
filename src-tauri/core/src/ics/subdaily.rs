//! HOURLY, MINUTELY and SECONDLY rules with an INTERVAL and BY* parts, expanded here
//! instead of by the rrule crate.
//!
//! Why: the rrule crate (0.14) loses the INTERVAL's phase when a BY* part skips periods:
//! `FREQ=MINUTELY;INTERVAL=45;BYHOUR=11,15` from 11:30 gives 11:30 and 15:15 on the first
//! day, then counts the next 45 minutes from the start of each BYHOUR window (11:00, 11:45,
//! 15:30, ...) instead of from DTSTART (docs/differential-findings.md, F2). RFC 5545 3.3.10,
//! dateutil and libical all keep the series `DTSTART + k * INTERVAL` and only filter it.
//!
//! So this is exactly that: the periods `DTSTART + k * INTERVAL * unit` on naive local wall
//! time (as in [`super::recur`]), each expanded by the parts that expand at this FREQ
//! (HOURLY: BYMINUTE, BYSECOND; MINUTELY: BYSECOND), filtered by the parts that limit it
//! (BYMONTH, BYYEARDAY, BYMONTHDAY, BYDAY, BYHOUR, BYMINUTE, BYSECOND), then BYSETPOS
//! within the period, COUNT and UNTIL. A period that fails a day, hour or minute filter
//! jumps to the first period of the next day, hour or minute (same phase), so a selective
//! rule costs about one step per kept instance, not one per minute.
//!
//! Only used for INTERVAL > 1 (with INTERVAL=1 there is no phase to lose) and when every
//! part is one this module knows; BYWEEKNO and BYDAY with ordinals are not valid with
//! these frequencies and stay with the crate.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};

/// The unit of a sub-daily FREQ, in seconds; `None` for DAILY and longer.
pub fn unit_secs(freq: &str) -> Option<i64> {
    match freq {
        "SECONDLY" => Some(1),
        "MINUTELY" => Some(60),
        "HOURLY" => Some(3_600),
        _ => None,
    }
}

/// A parsed sub-daily rule (the parts this module handles).
#[derive(Debug, Default)]
pub struct Rule {
    /// Seconds per period (unit x INTERVAL).
    step: i64,
    unit: i64,
    months: Vec<u32>,
    month_days: Vec<i32>,
    year_days: Vec<i32>,
    week_days: Vec<Weekday>,
    hours: Vec<u32>,
    minutes: Vec<u32>,
    seconds: Vec<u32>,
    set_pos: Vec<i32>,
}

fn list<T: std::str::FromStr>(v: &str) -> Option<Vec<T>> {
    v.split(',').map(|x| x.trim().parse().ok()).collect()
}

fn in_range(v: &[u32], max: u32) -> bool {
    v.iter().all(|x| *x <= max)
}

impl Rule {
    /// Reads `parts` (`KEY=VALUE`, keys upper case, FREQ and INTERVAL included). `None`
    /// when the rule is not one for this module (the caller uses the crate then).
    pub fn from_parts(parts: &[String]) -> Option<Rule> {
        let mut r = Rule::default();
        let mut interval: i64 = 1;
        let mut has_by = false;
        for p in parts {
            let (k, v) = p.split_once('=')?;
            match k {
                "FREQ" => r.unit = unit_secs(&v.to_ascii_uppercase())?,
                "INTERVAL" => interval = v.parse().unwrap_or(1).max(1),
                "WKST" => {}
                "BYMONTH" => r.months = list(v)?,
                "BYMONTHDAY" => r.month_days = list(v)?,
                "BYYEARDAY" => r.year_days = list(v)?,
                "BYDAY" => {
                    r.week_days = v
                        .split(',')
                        // Ordinals (`1MO`) are not valid with sub-daily FREQ:
                        // the rule goes to the crate.
                        .map(|d| super::value::parse_weekday(d.trim()))
                        .collect::<Option<_>>()?
                }
                "BYHOUR" => r.hours = list(v)?,
                "BYMINUTE" => r.minutes = list(v)?,
                "BYSECOND" => r.seconds = list(v)?,
                "BYSETPOS" => r.set_pos = list(v)?,
                _ => return None,
            }
            has_by |= k.starts_with("BY");
        }
        let valid = in_range(&r.months, 12)
            && !r.months.contains(&0)
            && in_range(&r.hours, 23)
            && in_range(&r.minutes, 59)
            && in_range(&r.seconds, 60)
            && !r.month_days.contains(&0)
            && !r.year_days.contains(&0)
            && !r.set_pos.contains(&0);
        if r.unit == 0 || interval <= 1 || !has_by || !valid {
            return None;
        }
        r.step = r.unit.checked_mul(interval)?;
        r.minutes.sort_unstable();
        r.minutes.dedup();
        r.seconds.sort_unstable();
        r.seconds.dedup();
        Some(r)
    }

    /// Seconds per period.
    pub fn step(&self) -> i64 {
        self.step
    }

    /// True when `date` passes the day-level filters.
    fn day_ok(&self, d: NaiveDate) -> bool {
        if !self.months.is_empty() && !self.months.contains(&d.month()) {
            return false;
        }
        if !self.week_days.is_empty() && !self.week_days.contains(&d.weekday()) {
            return false;
        }
        if !self.month_days.is_empty() {
            let len = days_in_month(d) as i32;
            let day = d.day() as i32;
            if !self
                .month_days
                .iter()
                .any(|&m| m == day || len + 1 + m == day)
            {
                return false;
            }
        }
        if !self.year_days.is_empty() {
            let len = if d.leap_year() { 366 } else { 365 };
            let day = d.ordinal() as i32;
            if !self
                .year_days
                .iter()
                .any(|&y| y == day || len + 1 + y == day)
            {
                return false;
            }
        }
        true
    }

    /// The candidates of the period starting at `t` (already past the filters above the
    /// period's own unit), ascending.
    fn candidates(&self, t: NaiveDateTime, out: &mut Vec<NaiveDateTime>) {
        out.clear();
        let keep = |c: NaiveDateTime| {
            (self.hours.is_empty() || self.hours.contains(&c.hour()))
                && (self.minutes.is_empty() || self.minutes.contains(&c.minute()))
                && (self.seconds.is_empty() || self.seconds.contains(&c.second()))
        };
        let base = t.with_nanosecond(0).unwrap_or(t);
        match self.unit {
            3_600 => {
                let mins = if self.minutes.is_empty() {
                    vec![base.minute()]
                } else {
                    self.minutes.clone()
                };
                let secs = if self.seconds.is_empty() {
                    vec![base.second()]
                } else {
                    self.seconds.clone()
                };
                let hour = base - Duration::seconds(i64::from(base.minute() * 60 + base.second()));
                for m in &mins {
                    for s in &secs {
                        let c = hour + Duration::seconds(i64::from(m * 60 + s.min(&59)));
                        if keep(c) {
                            out.push(c);
                        }
                    }
                }
            }
            60 => {
                let minute = base - Duration::seconds(i64::from(base.second()));
                if self.seconds.is_empty() {
                    if keep(base) {
                        out.push(base);
                    }
                } else {
                    for s in &self.seconds {
                        let c = minute + Duration::seconds(i64::from(*s.min(&59)));
                        if keep(c) {
                            out.push(c);
                        }
                    }
                }
            }
            _ => {
                if keep(base) {
                    out.push(base);
                }
            }
        }
        out.dedup();
        if !self.set_pos.is_empty() {
            let n = out.len() as i32;
            let picked: Vec<NaiveDateTime> = out
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    let i = *i as i32;
                    self.set_pos.iter().any(|&p| p == i + 1 || n + p == i)
                })
                .map(|(_, c)| *c)
                .collect();
            *out = picked;
        }
    }

    /// Where the series goes after the period at `t` when it fails a filter coarser than
    /// its candidates: the start of the next day, hour or minute (`None`: no jump needed).
    fn skip_to(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        if !self.day_ok(t.date()) {
            return t.date().succ_opt()?.and_hms_opt(0, 0, 0);
        }
        let hour_start = t.date().and_hms_opt(t.hour(), 0, 0)?;
        if self.unit < 3_600 && !self.hours.is_empty() && !self.hours.contains(&t.hour()) {
            return Some(hour_start + Duration::hours(1));
        }
        if self.unit < 60 && !self.minutes.is_empty() && !self.minutes.contains(&t.minute()) {
            return Some(hour_start + Duration::minutes(i64::from(t.minute()) + 1));
        }
        None
    }
}

fn days_in_month(d: NaiveDate) -> u32 {
    let (y, m) = (d.year(), d.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(31, |l| l.day())
}

/// What [`series`] visits: one call per kept instance, in order; return `false` to stop.
pub struct Walk {
    /// Periods visited and jumps made (the work counted against the budget).
    pub steps: u64,
    /// Stopped by `max_steps`.
    pub exhausted: bool,
}

/// Where a walk ends: `count` instances, a candidate after `until` or at `stop`, or
/// `max_steps` steps.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub count: Option<u64>,
    pub until: Option<NaiveDateTime>,
    pub stop: NaiveDateTime,
    pub max_steps: u64,
}

/// Walks the instances of `rule` from the period at `start` (a whole number of periods
/// after the original `dtstart`, which bounds the first candidates) to its `bounds`, or
/// until `visit` returns false.
pub fn series(
    rule: &Rule,
    dtstart: NaiveDateTime,
    start: NaiveDateTime,
    bounds: Bounds,
    mut visit: impl FnMut(NaiveDateTime) -> bool,
) -> Walk {
    let Bounds {
        count,
        until,
        stop,
        max_steps,
    } = bounds;
    let mut walk = Walk {
        steps: 0,
        exhausted: false,
    };
    let mut kept = 0u64;
    let mut t = start;
    let mut cands = Vec::new();
    loop {
        if t >= stop || until.is_some_and(|u| t > u) {
            return walk;
        }
        if walk.steps >= max_steps {
            walk.exhausted = true;
            return walk;
        }
        walk.steps += 1;
        if let Some(next) = rule.skip_to(t) {
            // The first period at or after `next`, keeping the phase of DTSTART.
            let gap = (next - t).num_seconds();
            let k = (gap + rule.step - 1) / rule.step;
            t += Duration::seconds(k.max(1) * rule.step);
            continue;
        }
        rule.candidates(t, &mut cands);
        for &c in &cands {
            if c < dtstart {
                continue;
            }
            if until.is_some_and(|u| c > u) || c >= stop {
                return walk;
            }
            if !visit(c) {
                return walk;
            }
            kept += 1;
            if count.is_some_and(|n| kept >= n) {
                return walk;
            }
        }
        t += Duration::seconds(rule.step);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        super::super::value::parse_date_time(s).unwrap().0
    }

    fn run(rule: &str, start: &str, count: Option<u64>) -> Vec<String> {
        let parts: Vec<String> = rule.split(';').map(str::to_string).collect();
        let r = Rule::from_parts(&parts).unwrap();
        let mut out = Vec::new();
        series(
            &r,
            dt(start),
            dt(start),
            Bounds {
                count,
                until: None,
                stop: dt("21000101T000000"),
                max_steps: 1_000_000,
            },
            |t| {
                out.push(t.format("%m-%d %H:%M:%S").to_string());
                true
            },
        );
        out
    }

    #[test]
    fn minutely_byhour_keeps_the_phase_of_dtstart() {
        // F2: 24 h is 32 x 45 min, so the pattern repeats each day.
        assert_eq!(
            run(
                "FREQ=MINUTELY;INTERVAL=45;BYHOUR=11,15",
                "20250324T113000",
                Some(6)
            ),
            [
                "03-24 11:30:00",
                "03-24 15:15:00",
                "03-25 11:30:00",
                "03-25 15:15:00",
                "03-26 11:30:00",
                "03-26 15:15:00"
            ]
        );
    }

    #[test]
    fn hourly_expands_byminute_and_filters_by_day() {
        // Every 5 hours from Monday 01:00, only on Tuesdays, at :00 and :30.
        let got = run(
            "FREQ=HOURLY;INTERVAL=5;BYDAY=TU;BYMINUTE=0,30",
            "20250303T010000",
            Some(6),
        );
        // Mon 01, 06, 11, 16, 21, Tue 02, 07, 12, ...
        assert_eq!(
            got,
            [
                "03-04 02:00:00",
                "03-04 02:30:00",
                "03-04 07:00:00",
                "03-04 07:30:00",
                "03-04 12:00:00",
                "03-04 12:30:00"
            ]
        );
    }

    #[test]
    fn bysetpos_picks_within_each_period() {
        let got = run(
            "FREQ=HOURLY;INTERVAL=2;BYMINUTE=10,20,30;BYSETPOS=-1",
            "20250101T000000",
            Some(3),
        );
        assert_eq!(got, ["01-01 00:30:00", "01-01 02:30:00", "01-01 04:30:00"]);
    }

    #[test]
    fn plain_or_interval_one_rules_stay_with_the_crate() {
        let p = |s: &str| s.split(';').map(str::to_string).collect::<Vec<_>>();
        assert!(Rule::from_parts(&p("FREQ=MINUTELY;INTERVAL=45")).is_none());
        assert!(Rule::from_parts(&p("FREQ=MINUTELY;BYHOUR=11")).is_none());
        assert!(Rule::from_parts(&p("FREQ=DAILY;INTERVAL=2;BYHOUR=11")).is_none());
        assert!(Rule::from_parts(&p("FREQ=HOURLY;INTERVAL=2;BYDAY=1MO")).is_none());
    }
}
