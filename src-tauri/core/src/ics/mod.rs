//! The calendar engine: ICS bytes in, occurrences in a window out.
//!
//! CONTRACT (other modules rely on exactly these names):
//! - [`parse_feed`] turns a feed body into a [`Calendar`] or a [`FeedError`]; lenient:
//!   a bad line or component is skipped and reported in `Calendar::meta.warnings`.
//! - [`Calendar`] is `meta` (name, colour, default zone, custom zones, refresh hint) plus
//!   `events`; both are serde-serialisable so the cache can store `meta` once per source
//!   and each [`EventRecord`] as its own row.
//! - [`expand`] lists the occurrences overlapping a window, sorted by start.

pub mod output;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::model::{Occurrence, Window};

/// Why a feed body was rejected as a whole. The caller keeps its last good data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    #[error("the feed is empty")]
    Empty,
    #[error("feed returned a web page; link may be revoked")]
    WebPage,
    #[error("not an iCalendar feed: {0}")]
    NotCalendar(String),
    #[error("the feed is truncated (no END:VCALENDAR)")]
    Truncated,
    #[error("components are nested too deeply ({0} levels)")]
    TooDeep(usize),
}

/// Everything about a calendar except its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarMeta {
    /// X-WR-CALNAME / NAME.
    pub name: Option<String>,
    /// X-APPLE-CALENDAR-COLOR / COLOR, as `#RRGGBB`.
    pub color: Option<String>,
    /// X-WR-TIMEZONE: the zone of floating and unresolvable times.
    pub default_tz: Option<String>,
    /// REFRESH-INTERVAL / X-PUBLISHED-TTL in seconds.
    pub refresh_interval_secs: Option<u64>,
    /// Lines and components skipped while parsing, in words (no feed secrets).
    pub warnings: Vec<String>,
}

/// One VEVENT, normalised. Master events and RECURRENCE-ID overrides are both records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub uid: String,
    /// The RECURRENCE-ID as written (value only), for overrides.
    pub recurrence_id: Option<String>,
}

/// A parsed feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    pub meta: CalendarMeta,
    pub events: Vec<EventRecord>,
}

/// How to expand a calendar.
#[derive(Debug, Clone)]
pub struct ExpandOptions {
    pub window: Window,
    /// The user's zone: floating times and all-day dates are placed in it.
    pub tz: Tz,
    /// Display name and id of the source, copied into each occurrence.
    pub source: String,
    pub source_id: Option<i64>,
    /// The user's addresses, lower case (settings `me.emails`).
    pub me_emails: Vec<String>,
    /// Treat Outlook "Canceled: " titles as cancelled.
    pub canceled_prefix: bool,
}

/// Parses a feed body.
pub fn parse_feed(_body: &[u8]) -> Result<Calendar, FeedError> {
    todo!("calendar engine")
}

/// The occurrences of `calendar` overlapping `opts.window`, sorted by start.
pub fn expand(_calendar: &Calendar, _opts: &ExpandOptions) -> Vec<Occurrence> {
    todo!("calendar engine")
}
