//! Time zone resolution: TZID strings to zones, and local wall time to UTC.
//!
//! Order (RELIABILITY "Windows zone names"): IANA name (also `/mozilla.org/.../Europe/Berlin`
//! style prefixes); `tzone://Microsoft/Utc` and UTC spellings; Windows name (CLDR mapping of
//! the windows-timezones crate); the feed's own VTIMEZONE rules; a Windows display name
//! (`(UTC-05:00) Eastern Time (US & Canada)`, as Outlook writes it with no VTIMEZONE;
//! [`super::windows_names`]), else the fixed offset such a name starts with;
//! X-WR-TIMEZONE; finally the user's zone, with a warning. An event is never dropped for
//! its zone.
//!
//! Floating times are read in the calendar's X-WR-TIMEZONE when it names a known zone
//! (Google and Apple do), else in the user's zone (`--tz`).
//!
//! Local → UTC follows RFC 5545 section 3.3.5: a time in a DST overlap is the first
//! (earlier) instant, a time in a gap is read with the offset from before the gap, which
//! moves it forward by the gap's length (01:30 on London's spring-forward day is 01:30Z).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::vtimezone::{CustomZone, ZoneRules};
use super::IcsTime;

/// A resolved zone.
#[derive(Debug, Clone)]
pub enum Zone {
    Iana(Tz),
    Custom(Arc<ZoneRules>),
    /// A constant offset (from a Windows display name's `(UTC+05:30)` prefix).
    Fixed(FixedOffset),
}

impl Zone {
    /// Local wall time to UTC (see the module header for gaps and overlaps).
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Zone::Iana(tz) => iana_local_to_utc(*tz, local),
            Zone::Custom(rules) => {
                DateTime::from_timestamp(rules.local_to_utc(local), 0).unwrap_or_else(|| {
                    // Out of chrono's range: only reachable with absurd years.
                    local.and_utc()
                })
            }
            Zone::Fixed(off) => {
                local.and_utc() - Duration::seconds(i64::from(off.local_minus_utc()))
            }
        }
    }

    /// UTC to local wall time.
    pub fn to_local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Iana(tz) => utc.with_timezone(tz).naive_local(),
            Zone::Custom(rules) => {
                let off = rules.offset_at_utc(utc.timestamp());
                utc.naive_utc() + Duration::seconds(i64::from(off))
            }
            Zone::Fixed(off) => {
                utc.naive_utc() + Duration::seconds(i64::from(off.local_minus_utc()))
            }
        }
    }
}

fn iana_local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        LocalResult::None => {
            // In a gap: use the offset in effect a day earlier (before the transition).
            let before = local.and_utc() - Duration::hours(24);
            let off = tz.offset_from_utc_datetime(&before.naive_utc()).fix();
            local.and_utc() - Duration::seconds(i64::from(off.local_minus_utc()))
        }
    }
}

/// Normalises a TZID to an IANA zone when it names one (directly or via Windows names).
pub fn known_zone(tzid: &str) -> Option<Tz> {
    let t = tzid.trim().trim_matches('"').trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(tz) = Tz::from_str(t) {
        return Some(tz);
    }
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "utc"
            | "gmt"
            | "z"
            | "zulu"
            | "tzone://microsoft/utc"
            | "etc/utc"
            | "coordinated universal time"
    ) || lower.starts_with("(utc) ")
    {
        return Some(Tz::UTC);
    }
    if let Ok(w) = windows_timezones::WindowsTimezone::from_str(t) {
        if let Ok(tz) = Tz::from_str(w.tzdb_id()) {
            return Some(tz);
        }
    }
    // Prefixed IANA names (`/mozilla.org/20050126_1/America/New_York`, `/Europe/Berlin`):
    // try each suffix after a '/'.
    let mut rest = t;
    while let Some(pos) = rest.find('/') {
        rest = &rest[pos + 1..];
        if let Ok(tz) = Tz::from_str(rest) {
            return Some(tz);
        }
    }
    None
}

/// A Windows display name's zone: the CLDR mapping of the name, else the fixed offset in
/// its `(UTC+HH:MM)` (or older `(GMT+HH:MM)`) prefix.
pub fn display_name_zone(tzid: &str) -> Option<Zone> {
    let t = tzid.trim().trim_matches('"').trim();
    let utc_form = t.strip_prefix("(GMT").map(|rest| format!("(UTC{rest}"));
    let name = utc_form.as_deref().unwrap_or(t);
    if let Some(iana) = super::windows_names::iana_for_display_name(name) {
        if let Ok(tz) = Tz::from_str(iana) {
            return Some(Zone::Iana(tz));
        }
    }
    let rest = name.strip_prefix("(UTC")?;
    let close = rest.find(')')?;
    let off = &rest[..close];
    if off.is_empty() {
        return Some(Zone::Iana(Tz::UTC));
    }
    let (sign, hm) = match off.as_bytes().first()? {
        b'+' => (1, &off[1..]),
        b'-' => (-1, &off[1..]),
        _ => return None,
    };
    let (h, m) = hm.split_once(':').unwrap_or((hm, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed)
}

/// Resolves TZIDs of one calendar, caching results.
pub struct Resolver<'a> {
    customs: &'a [CustomZone],
    fallback: Zone,
    user: Tz,
    /// The zone of floating times: X-WR-TIMEZONE when known, else `user`.
    floating: Tz,
    cache: HashMap<String, Zone>,
}

impl<'a> Resolver<'a> {
    /// `default_tz` is X-WR-TIMEZONE (floating times, unknown TZIDs); `user` is the zone
    /// of dates, and of floating times when the calendar names no known zone.
    pub fn new(customs: &'a [CustomZone], default_tz: Option<&str>, user: Tz) -> Self {
        let calendar_zone = default_tz.and_then(known_zone);
        Resolver {
            customs,
            fallback: Zone::Iana(calendar_zone.unwrap_or(user)),
            user,
            floating: calendar_zone.unwrap_or(user),
            cache: HashMap::new(),
        }
    }

    /// The zone of the user (floating times, dates).
    pub fn user_zone(&self) -> Zone {
        Zone::Iana(self.user)
    }

    /// Resolves a TZID; unknown ones fall back (see the module header).
    pub fn zone(&mut self, tzid: &str) -> Zone {
        if let Some(z) = self.cache.get(tzid) {
            return z.clone();
        }
        let z = resolve_tzid(tzid, self.customs).unwrap_or_else(|| {
            tracing::warn!(tzid, "unknown time zone; using the calendar's default zone");
            self.fallback.clone()
        });
        self.cache.insert(tzid.to_string(), z.clone());
        z
    }

    /// The zone a time value is read in.
    pub fn zone_of(&mut self, t: &IcsTime) -> Zone {
        match t {
            IcsTime::Zoned { tzid, .. } => self.zone(tzid),
            IcsTime::Utc { .. } => Zone::Iana(Tz::UTC),
            IcsTime::Floating { .. } => Zone::Iana(self.floating),
            IcsTime::Date { .. } => self.user_zone(),
        }
    }

    /// A time value as an instant (dates: midnight in the user's zone).
    pub fn instant(&mut self, t: &IcsTime) -> DateTime<Utc> {
        match t {
            IcsTime::Utc { at } => at.and_utc(),
            IcsTime::Zoned { at, tzid } => self.zone(tzid).to_utc(*at),
            IcsTime::Floating { at } => iana_local_to_utc(self.floating, *at),
            IcsTime::Date { date } => {
                iana_local_to_utc(self.user, date.and_time(Default::default()))
            }
        }
    }
}

/// True when [`resolve_tzid`] would find a zone, without compiling any VTIMEZONE (used for
/// the parse-time "unknown time zone" warning, once per event time).
pub fn is_resolvable(tzid: &str, customs: &[CustomZone]) -> bool {
    let t = tzid.trim().trim_matches('"').trim();
    known_zone(tzid).is_some()
        || customs.iter().any(|c| c.tzid == tzid || c.tzid == t)
        || display_name_zone(tzid).is_some()
}

/// A TZID without fallbacks: IANA/Windows/UTC spellings, then the feed's VTIMEZONEs.
pub fn resolve_tzid(tzid: &str, customs: &[CustomZone]) -> Option<Zone> {
    if let Some(tz) = known_zone(tzid) {
        return Some(Zone::Iana(tz));
    }
    let t = tzid.trim().trim_matches('"').trim();
    if let Some(custom) = customs.iter().find(|c| c.tzid == tzid || c.tzid == t) {
        if let Some(rules) = ZoneRules::compile(custom) {
            return Some(Zone::Custom(Arc::new(rules)));
        }
    }
    display_name_zone(tzid)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        super::super::value::parse_date_time(s).unwrap().0
    }

    #[test]
    fn names() {
        assert_eq!(
            known_zone("W. Europe Standard Time"),
            Some(Tz::Europe__Berlin)
        );
        assert_eq!(
            known_zone("Pacific Standard Time"),
            Some(Tz::America__Los_Angeles)
        );
        assert_eq!(known_zone("tzone://Microsoft/Utc"), Some(Tz::UTC));
        assert_eq!(
            known_zone("/mozilla.org/20050126_1/America/New_York"),
            Some(Tz::America__New_York)
        );
        assert_eq!(known_zone("Customized Time Zone"), None);
    }

    #[test]
    fn windows_display_names_map_or_use_their_offset() {
        let z = display_name_zone("(UTC-05:00) Eastern Time (US & Canada)").unwrap();
        assert!(matches!(z, Zone::Iana(Tz::America__New_York)));
        let z = display_name_zone("(GMT-05:00) Eastern Time (US & Canada)").unwrap();
        assert!(matches!(z, Zone::Iana(Tz::America__New_York)));
        // Not a known display name: the offset in it.
        let z = display_name_zone("(UTC+05:30) Somewhere New").unwrap();
        assert_eq!(
            z.to_utc(dt("20260301T100000")),
            dt("20260301T043000").and_utc()
        );
        assert!(display_name_zone("Customized Time Zone").is_none());
    }

    #[test]
    fn gap_and_overlap_london() {
        let z = Zone::Iana(Tz::Europe__London);
        assert_eq!(
            z.to_utc(dt("20260329T013000")),
            dt("20260329T013000").and_utc()
        );
        assert_eq!(
            z.to_utc(dt("20261025T013000")),
            dt("20261025T003000").and_utc()
        );
    }
}
