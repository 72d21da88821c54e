//! The one way CalendarBot writes a time or a date for a person: in the tray, the
//! notifications, the command line's text and the window (which gets the same
//! [`TimeFormat`] from the backend and applies it to its `Intl` formatters).
//!
//! It follows the system locale the way the desktop does: `LC_ALL`, else `LC_TIME`,
//! else `LANG`. Whether a locale writes 12-hour times and in which order it writes
//! dates comes from a small table of the CLDR conventions, since reading glibc's
//! `nl_langinfo` would need `unsafe` (forbidden in this workspace) and the `chrono`
//! locale support formats but does not say which pattern a locale prefers.
//! `CALENDARBOT_CLOCK=12|24` overrides the hour cycle (a user whose locale says one
//! thing and whose habit says another).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike};
use serde::Serialize;

/// How a locale orders day, month and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// 1 Dec (most of the world).
    DayMonth,
    /// Dec 1 (the United States, the Philippines, Canada's English).
    MonthDay,
    /// 2026-12-01 (East Asia, Sweden's ISO habit, Hungary, Lithuania).
    YearMonthDay,
}

/// Hour cycle and date order, as the window applies them too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TimeFormat {
    /// "7:02 PM" instead of "19:02".
    pub hour12: bool,
    pub date_order: DateOrder,
}

impl Default for TimeFormat {
    /// The C / POSIX locale (or none): 24 hours, "Tue 1 Dec", as CalendarBot wrote
    /// before it followed the locale.
    fn default() -> Self {
        Self {
            hour12: false,
            date_order: DateOrder::DayMonth,
        }
    }
}

/// Locales (language, or language_REGION) that write 12-hour times (CLDR `h:mm a`).
const HOUR12: &[&str] = &[
    "en_US", "en_CA", "en_AU", "en_NZ", "en_IN", "en_PH", "en_PK", "es_US", "es_MX", "es_CO", "ar",
    "hi", "bn", "ur", "ko", "zh_TW", "zh_HK", "el", "fil", "sq",
];
/// Locales that put the month before the day.
const MONTH_DAY: &[&str] = &["en_US", "en_PH", "en_CA", "es_US", "fil"];
/// Locales that start dates with the year.
const YEAR_FIRST: &[&str] = &["zh", "ja", "ko", "hu", "lt", "sv", "mn", "eu"];

fn listed(table: &[&str], lang: &str, region: &str) -> bool {
    table
        .iter()
        .any(|e| *e == lang || (e.len() > 3 && e[..2] == *lang && e[3..] == *region))
}

impl TimeFormat {
    /// The format of a locale name such as `en_US.UTF-8`, `de_DE@euro` or `C`.
    pub fn for_locale(name: &str) -> Self {
        let base = name.split(['.', '@']).next().unwrap_or("");
        let (lang, region) = base.split_once(['_', '-']).unwrap_or((base, ""));
        let lang = lang.to_ascii_lowercase();
        let region = region.to_ascii_uppercase();
        if lang.is_empty() || lang == "c" || lang == "posix" {
            return Self::default();
        }
        let date_order = if listed(MONTH_DAY, &lang, &region) {
            DateOrder::MonthDay
        } else if listed(YEAR_FIRST, &lang, &region) {
            DateOrder::YearMonthDay
        } else {
            DateOrder::DayMonth
        };
        Self {
            hour12: listed(HOUR12, &lang, &region),
            date_order,
        }
    }

    /// The format of the locale in this process's environment.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let locale = var("LC_ALL")
            .or_else(|| var("LC_TIME"))
            .or_else(|| var("LANG"))
            .unwrap_or_default();
        let mut f = Self::for_locale(&locale);
        match var("CALENDARBOT_CLOCK").as_deref() {
            Some("12") => f.hour12 = true,
            Some("24") => f.hour12 = false,
            _ => {}
        }
        f
    }

    /// This process's format, read from the environment once.
    pub fn current() -> Self {
        static CURRENT: std::sync::OnceLock<TimeFormat> = std::sync::OnceLock::new();
        *CURRENT.get_or_init(Self::from_env)
    }

    /// "19:02" or "7:02 PM".
    pub fn time<Z: TimeZone>(&self, t: &DateTime<Z>) -> String {
        let (h, m) = (t.hour(), t.minute());
        if self.hour12 {
            let (h12, pm) = (if h % 12 == 0 { 12 } else { h % 12 }, h >= 12);
            format!("{h12}:{m:02} {}", if pm { "PM" } else { "AM" })
        } else {
            format!("{h:02}:{m:02}")
        }
    }

    /// "19:02–19:30" or "7:02–7:30 PM" (the period once when both share it).
    pub fn time_range<Z: TimeZone>(&self, start: &DateTime<Z>, end: &DateTime<Z>) -> String {
        let (a, b) = (self.time(start), self.time(end));
        let shared_period = self.hour12 && (start.hour() >= 12) == (end.hour() >= 12);
        let a = if shared_period {
            a.trim_end_matches(" AM").trim_end_matches(" PM")
        } else {
            &a
        };
        format!("{a}–{b}")
    }

    /// A short date with its weekday: "Tue 1 Dec", "Tue, Dec 1", "2026-12-01 Tue".
    pub fn date(&self, d: NaiveDate) -> String {
        let weekday = d.format("%a");
        let month = d.format("%b");
        match self.date_order {
            DateOrder::DayMonth => format!("{weekday} {} {month}", d.day()),
            DateOrder::MonthDay => format!("{weekday}, {month} {}", d.day()),
            DateOrder::YearMonthDay => format!("{} {weekday}", d.format("%Y-%m-%d")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Utc;

    #[test]
    fn locales_choose_the_hour_cycle_and_the_date_order() {
        let us = TimeFormat::for_locale("en_US.UTF-8");
        assert!(us.hour12);
        assert_eq!(us.date_order, DateOrder::MonthDay);
        let de = TimeFormat::for_locale("de_DE.UTF-8");
        assert!(!de.hour12);
        assert_eq!(de.date_order, DateOrder::DayMonth);
        let gb = TimeFormat::for_locale("en_GB.UTF-8");
        assert!(!gb.hour12);
        assert_eq!(gb.date_order, DateOrder::DayMonth);
        assert_eq!(
            TimeFormat::for_locale("ja_JP.UTF-8").date_order,
            DateOrder::YearMonthDay
        );
        assert!(TimeFormat::for_locale("ko_KR.UTF-8").hour12);
        assert_eq!(TimeFormat::for_locale("C"), TimeFormat::default());
        assert_eq!(TimeFormat::for_locale(""), TimeFormat::default());
        assert!(TimeFormat::for_locale("en-US").hour12);
    }

    #[test]
    fn times_and_dates_in_both_conventions() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 19, 2, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 12, 1, 19, 30, 0).unwrap();
        let midnight = Utc.with_ymd_and_hms(2026, 12, 1, 0, 5, 0).unwrap();
        let us = TimeFormat::for_locale("en_US.UTF-8");
        let de = TimeFormat::for_locale("de_DE.UTF-8");
        assert_eq!(us.time(&t), "7:02 PM");
        assert_eq!(us.time(&midnight), "12:05 AM");
        assert_eq!(de.time(&t), "19:02");
        assert_eq!(us.time_range(&t, &end), "7:02–7:30 PM");
        assert_eq!(us.time_range(&midnight, &t), "12:05 AM–7:02 PM");
        assert_eq!(de.time_range(&t, &end), "19:02–19:30");
        let d = t.date_naive();
        assert_eq!(us.date(d), "Tue, Dec 1");
        assert_eq!(de.date(d), "Tue 1 Dec");
        assert_eq!(TimeFormat::default().date(d), "Tue 1 Dec");
        let ja = TimeFormat::for_locale("ja_JP.UTF-8");
        assert_eq!(ja.date(d), "2026-12-01 Tue");
    }
}
