//! Custom VTIMEZONE definitions, evaluated from their STANDARD/DAYLIGHT observances.
//!
//! Needed for TZIDs that are neither IANA nor Windows names, such as Outlook's
//! "Customized Time Zone" (case 10). Each observance's onsets come from its DTSTART,
//! RDATEs and a yearly RRULE (the only frequency real VTIMEZONEs use: `FREQ=YEARLY` with
//! `BYMONTH` and `BYDAY=-1SU`/`2SU`, or the older `BYMONTHDAY=8,...,14;BYDAY=SU` form).
//! Onsets are evaluated for the years up to [`LAST_YEAR`] once per expansion and kept as a
//! sorted transition table, so each lookup is a binary search.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Serialize};

/// Onsets are generated up to this year; later instants use the last known offset.
pub const LAST_YEAR: i32 = 2100;

/// One VTIMEZONE as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomZone {
    pub tzid: String,
    pub observances: Vec<Observance>,
}

/// One STANDARD or DAYLIGHT sub-component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observance {
    pub daylight: bool,
    /// First onset, local time in `offset_from`.
    pub dtstart: NaiveDateTime,
    /// Seconds east of UTC before and after the onset.
    pub offset_from: i32,
    pub offset_to: i32,
    pub rrule: Option<String>,
    #[serde(default)]
    pub rdates: Vec<NaiveDateTime>,
}

/// A compiled transition table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRules {
    /// (UTC seconds of the onset, offset in effect from then on), sorted.
    transitions: Vec<(i64, i32)>,
    initial: i32,
    offsets: Vec<i32>,
}

impl ZoneRules {
    /// Compiles a zone; `None` when it has no usable observance.
    pub fn compile(zone: &CustomZone) -> Option<ZoneRules> {
        let first = zone.observances.iter().min_by_key(|o| o.dtstart)?;
        let mut transitions = Vec::new();
        for obs in &zone.observances {
            let mut onsets = vec![obs.dtstart];
            onsets.extend(obs.rdates.iter().copied());
            if let Some(rule) = &obs.rrule {
                onsets.extend(yearly_onsets(obs.dtstart, obs.offset_from, rule));
            }
            for local in onsets {
                let utc = local.and_utc().timestamp() - i64::from(obs.offset_from);
                transitions.push((utc, obs.offset_to));
            }
        }
        transitions.sort_unstable();
        transitions.dedup_by_key(|t| t.0);
        let mut offsets: Vec<i32> = zone
            .observances
            .iter()
            .flat_map(|o| [o.offset_from, o.offset_to])
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        Some(ZoneRules {
            transitions,
            initial: first.offset_from,
            offsets,
        })
    }

    /// The offset (seconds east) in effect at a UTC instant (seconds).
    pub fn offset_at_utc(&self, utc: i64) -> i32 {
        let idx = self.transitions.partition_point(|(t, _)| *t <= utc);
        if idx == 0 {
            self.initial
        } else {
            self.transitions[idx - 1].1
        }
    }

    /// Local wall time to UTC seconds: in an overlap the first (earlier) instant; in a gap
    /// the offset from before the gap, which moves the time forward by the gap (RFC 5545
    /// section 3.3.5).
    pub fn local_to_utc(&self, local: NaiveDateTime) -> i64 {
        let t = local.and_utc().timestamp();
        let valid = self
            .offsets
            .iter()
            .map(|o| t - i64::from(*o))
            .filter(|u| i64::from(self.offset_at_utc(*u)) == t - u)
            .min();
        match valid {
            Some(u) => u,
            None => {
                let max = self.offsets.iter().copied().max().unwrap_or(self.initial);
                t - i64::from(self.offset_at_utc(t - i64::from(max)))
            }
        }
    }
}

/// Onsets of a yearly observance rule after its DTSTART (which the caller adds itself).
fn yearly_onsets(dtstart: NaiveDateTime, offset_from: i32, rule: &str) -> Vec<NaiveDateTime> {
    let mut freq = None;
    let mut months: Vec<u32> = Vec::new();
    let mut month_days: Vec<i32> = Vec::new();
    let mut by_day: Vec<(i32, Weekday)> = Vec::new();
    let mut until: Option<i64> = None;
    let mut count: Option<usize> = None;
    for part in rule.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_uppercase().as_str() {
            "FREQ" => freq = Some(v.trim().to_ascii_uppercase()),
            "BYMONTH" => months = v.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
            "BYMONTHDAY" => {
                month_days = v.split(',').filter_map(|x| x.trim().parse().ok()).collect()
            }
            "BYDAY" => by_day = v.split(',').filter_map(parse_nth_weekday).collect(),
            "UNTIL" => {
                until = super::value::parse_date_time(v)
                    .map(|(at, utc)| {
                        let s = at.and_utc().timestamp();
                        if utc {
                            s
                        } else {
                            s - i64::from(offset_from)
                        }
                    })
                    .or_else(|| {
                        super::value::parse_date(v)
                            .and_then(|d| d.and_hms_opt(23, 59, 59))
                            .map(|d| d.and_utc().timestamp())
                    })
            }
            "COUNT" => count = v.trim().parse().ok(),
            _ => {}
        }
    }
    if freq.as_deref() != Some("YEARLY") {
        return Vec::new();
    }
    if months.is_empty() {
        months.push(dtstart.month());
    }
    let mut out = Vec::new();
    let first_year = if count.is_some() {
        dtstart.year()
    } else {
        // Onsets before 1900 matter to no calendar event; Outlook writes DTSTART:1601...
        dtstart.year().max(1900)
    };
    let mut emitted = 1usize; // DTSTART itself counts.
    'years: for year in first_year..=LAST_YEAR {
        for &month in &months {
            let Some(day) = pick_day(year, month, &month_days, &by_day, dtstart.day()) else {
                continue;
            };
            let local = day.and_time(dtstart.time());
            if local <= dtstart {
                continue;
            }
            if let Some(u) = until {
                if local.and_utc().timestamp() - i64::from(offset_from) > u {
                    break 'years;
                }
            }
            if count.is_some_and(|c| emitted >= c) {
                break 'years;
            }
            emitted += 1;
            out.push(local);
        }
    }
    out
}

/// `-1SU` → (-1, Sun); `SU` → (0, Sun).
fn parse_nth_weekday(s: &str) -> Option<(i32, Weekday)> {
    let s = s.trim();
    if s.len() < 2 {
        return None;
    }
    let (n, wd) = s.split_at(s.len() - 2);
    let wd = super::value::parse_weekday(wd)?;
    let n = if n.is_empty() || n == "+" {
        0
    } else {
        n.trim_start_matches('+').parse().ok()?
    };
    Some((n, wd))
}

/// The onset day of a month: nth weekday, or the weekday within BYMONTHDAY, or the day.
fn pick_day(
    year: i32,
    month: u32,
    month_days: &[i32],
    by_day: &[(i32, Weekday)],
    default_day: u32,
) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let len = (next - first).num_days() as i32;
    let resolve_md = |md: i32| -> Option<NaiveDate> {
        let d = if md < 0 { len + md + 1 } else { md };
        if d < 1 || d > len {
            return None;
        }
        first.checked_add_signed(Duration::days(i64::from(d - 1)))
    };
    if let Some(&(n, wd)) = by_day.first() {
        if !month_days.is_empty() {
            return month_days
                .iter()
                .filter_map(|md| resolve_md(*md))
                .find(|d| d.weekday() == wd);
        }
        let days: Vec<NaiveDate> = (0..len)
            .filter_map(|i| first.checked_add_signed(Duration::days(i64::from(i))))
            .filter(|d| d.weekday() == wd)
            .collect();
        return match n {
            0 => days.first().copied(),
            n if n > 0 => days.get((n - 1) as usize).copied(),
            n => days
                .len()
                .checked_sub(n.unsigned_abs() as usize)
                .and_then(|i| days.get(i).copied()),
        };
    }
    if let Some(md) = month_days.first() {
        return resolve_md(*md);
    }
    resolve_md(default_day as i32)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn customized() -> CustomZone {
        let dt = |s| super::super::value::parse_date_time(s).unwrap().0;
        CustomZone {
            tzid: "Customized Time Zone".into(),
            observances: vec![
                Observance {
                    daylight: false,
                    dtstart: dt("16010101T030000"),
                    offset_from: 7200,
                    offset_to: 3600,
                    rrule: Some("FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10".into()),
                    rdates: vec![],
                },
                Observance {
                    daylight: true,
                    dtstart: dt("16010101T020000"),
                    offset_from: 3600,
                    offset_to: 7200,
                    rrule: Some("FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3".into()),
                    rdates: vec![],
                },
            ],
        }
    }

    #[test]
    fn customized_zone_both_seasons() {
        let z = ZoneRules::compile(&customized()).unwrap();
        let dt = |s| super::super::value::parse_date_time(s).unwrap().0;
        // Winter: +01:00.
        assert_eq!(
            z.local_to_utc(dt("20260115T090000")),
            dt("20260115T080000").and_utc().timestamp()
        );
        // Summer: +02:00.
        assert_eq!(
            z.local_to_utc(dt("20260705T090000")),
            dt("20260705T070000").and_utc().timestamp()
        );
        // Gap on 2026-03-29 02:30 → shifted forward to 03:30 (+02) = 01:30Z.
        assert_eq!(
            z.local_to_utc(dt("20260329T023000")),
            dt("20260329T013000").and_utc().timestamp()
        );
        // Overlap on 2026-10-25 02:30 → first (+02) = 00:30Z.
        assert_eq!(
            z.local_to_utc(dt("20261025T023000")),
            dt("20261025T003000").and_utc().timestamp()
        );
    }
}
