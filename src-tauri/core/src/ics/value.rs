//! Typed values: DATE, DATE-TIME, DURATION, UTC-OFFSET and PERIOD (RFC 5545 section 3.3).
//!
//! Lenient where providers are sloppy: a DATE-TIME missing its seconds, lower-case `t`/`z`,
//! a DATE where a DATE-TIME is expected (and the reverse) are all accepted.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::lines::ContentLine;
use super::IcsTime;

/// Parses `YYYYMMDD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y = s[0..4].parse().ok()?;
    let m = s[4..6].parse().ok()?;
    let d = s[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Parses `YYYYMMDDTHHMMSS[Z]`; returns the naive time and whether it was UTC.
pub fn parse_date_time(s: &str) -> Option<(NaiveDateTime, bool)> {
    let s = s.trim();
    let (date, time) = s.split_once(['T', 't'])?;
    let date = parse_date(date)?;
    let (time, utc) = match time.strip_suffix(['Z', 'z']) {
        Some(t) => (t, true),
        None => (time, false),
    };
    if !time.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m, sec) = match time.len() {
        6 => (&time[0..2], &time[2..4], &time[4..6]),
        4 => (&time[0..2], &time[2..4], "00"),
        _ => return None,
    };
    let sec: u32 = sec.parse().ok()?;
    // A leap second (60) is read as 59: chrono has no :60 outside leap representations.
    let t = NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, sec.min(59))?;
    Some((date.and_time(t), utc))
}

/// Parses one DATE or DATE-TIME value with the line's `VALUE` and `TZID` parameters.
pub fn parse_time_value(s: &str, line: &ContentLine) -> Option<IcsTime> {
    let s = s.trim();
    let value_date = line
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    if value_date || !s.contains(['T', 't']) {
        if let Some(date) = parse_date(s) {
            return Some(IcsTime::Date { date });
        }
        if !value_date {
            return None;
        }
    }
    let (at, utc) = parse_date_time(s)?;
    if utc {
        return Some(IcsTime::Utc { at });
    }
    match line.param("TZID") {
        Some(tzid) if !tzid.trim().is_empty() => Some(IcsTime::Zoned {
            at,
            tzid: tzid.trim().to_string(),
        }),
        _ => Some(IcsTime::Floating { at }),
    }
}

/// Parses a DURATION (`[+-]P[nW][nD][T[nH][nM][nS]]`) into seconds, days counted as
/// 86,400 s (alarm triggers, refresh intervals; events use [`parse_duration_parts`]).
pub fn parse_duration(s: &str) -> Option<i64> {
    let (days, secs) = parse_duration_parts(s)?;
    days.checked_mul(86_400)?.checked_add(secs)
}

/// Parses a DURATION into its nominal and exact parts: `(days, seconds)`, both signed.
/// RFC 5545 3.3.6: "dur-week" and "dur-day" are nominal (the same wall time N days later,
/// 23 or 25 hours across a DST change), only "dur-time" is exact; `P1DT2H` is one
/// nominal day and 7,200 exact seconds.
pub fn parse_duration_parts(s: &str) -> Option<(i64, i64)> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut days: i64 = 0;
    let mut secs: i64 = 0;
    let mut num: Option<i64> = None;
    let mut in_time = false;
    let mut any = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => {
                let d = i64::from(c as u8 - b'0');
                num = Some(num.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
            }
            'T' | 't' => in_time = true,
            _ => {
                let n = num.take()?;
                match (c.to_ascii_uppercase(), in_time) {
                    ('W', false) => days = days.checked_add(n.checked_mul(7)?)?,
                    ('D', false) => days = days.checked_add(n)?,
                    ('H', true) => secs = secs.checked_add(n.checked_mul(3_600)?)?,
                    ('M', true) => secs = secs.checked_add(n.checked_mul(60)?)?,
                    ('S', true) => secs = secs.checked_add(n)?,
                    _ => return None,
                }
                any = true;
            }
        }
    }
    if num.is_some() || !any {
        return None;
    }
    // The total in seconds must fit too (parse_duration, budgets).
    days.checked_mul(86_400)?.checked_add(secs)?;
    Some((sign * days, sign * secs))
}

/// An RFC 5545 weekday code (`MO` … `SU`, any case); anything else (an ordinal such
/// as `1MO`) is `None`.
pub fn parse_weekday(code: &str) -> Option<Weekday> {
    Some(match code.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// Parses a UTC-OFFSET (`+HHMM[SS]`) into seconds east of UTC.
pub fn parse_utc_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    if !(rest.len() == 4 || rest.len() == 6) || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = rest[0..2].parse().ok()?;
    let m: i32 = rest[2..4].parse().ok()?;
    let sec: i32 = if rest.len() == 6 {
        rest[4..6].parse().ok()?
    } else {
        0
    };
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + sec))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(5400));
        assert_eq!(parse_duration("-PT15M"), Some(-900));
        assert_eq!(parse_duration("P1W"), Some(604_800));
        assert_eq!(parse_duration("P1DT2H"), Some(93_600));
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("P1H"), None);
        assert_eq!(parse_duration_parts("P1DT2H"), Some((1, 7_200)));
        assert_eq!(parse_duration_parts("-P2W"), Some((-14, 0)));
        assert_eq!(parse_duration_parts("PT36H"), Some((0, 129_600)));
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_utc_offset("+0100"), Some(3600));
        assert_eq!(parse_utc_offset("-0530"), Some(-19_800));
        assert_eq!(parse_utc_offset("x"), None);
    }

    #[test]
    fn date_times() {
        assert!(parse_date_time("20260329T013000").is_some());
        assert!(parse_date_time("20260329T0130").is_some());
        assert_eq!(parse_date_time("20260329T013000Z").map(|x| x.1), Some(true));
        assert!(parse_date_time("20261329T013000").is_none());
    }
}
