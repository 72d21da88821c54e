//! The calendar engine: ICS bytes in, occurrences in a window out.
//!
//! CONTRACT (other modules rely on exactly these names):
//! - [`parse_feed`] turns a feed body into a [`Calendar`] or a [`FeedError`]; lenient:
//!   a bad line or component is skipped and reported in `Calendar::meta.warnings`.
//! - [`Calendar`] is `meta` (name, colour, default zone, custom zones, refresh hint) plus
//!   `events`; both are serde-serialisable so the cache can store `meta` once per source
//!   and each [`EventRecord`] as its own row.
//! - [`expand`] lists the occurrences overlapping a window, sorted by start;
//!   [`expand_report`] also says what its [`Budget`] cut ([`Truncation`]), and
//!   [`expand::expand_budgeted`] shares one budget between the feeds of an agenda.
//! - [`output`] formats occurrences for the command line (`jsonl`, `json`, `text`).
//! - The system zone (the default of `--tz` and of `ExpandOptions::tz`) is `clock::system_zone`.
//!
//! Pipeline: [`scan`] rejects bodies that are not calendars (empty, web pages, truncated,
//! nested too deeply) before anything else looks at them; [`lines`] unfolds and splits
//! content lines (byte-exact, so UTF-8 split by folding is rejoined intact); [`parse`]
//! turns components into [`EventRecord`]s and [`CustomZone`]s, skipping bad ones;
//! [`expand`](mod@expand) applies RRULE/RDATE/EXDATE/overrides on naive local wall time and
//! converts each instance to UTC with [`tz`] (IANA, Windows, VTIMEZONE rules).
//!
//! Why not icalendar's parser: it recurses (a 52 KB nest bomb aborts the process), is
//! all-or-nothing per feed, and parses into borrowed trees we would convert again anyway;
//! the line-level parser here is non-recursive, lenient per component and measured by
//! `examples/bench_engine.rs` (which also times icalendar's parser for comparison).

pub mod attendees;
pub mod budget;
pub mod expand;
pub mod lines;
pub mod links;
pub mod output;
pub mod parse;
pub mod recur;
pub mod scan;
pub mod subdaily;
pub mod text;
pub mod tz;
pub mod value;
pub mod vtimezone;
pub mod windows_names;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::model::{Occurrence, Window};

pub use budget::{Budget, Expansion, Truncation};
pub use vtimezone::{CustomZone, Observance};

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
    /// X-WR-TIMEZONE: the zone of floating times and of TZIDs that cannot be resolved
    /// (Google and Apple read floating times in the calendar's zone); floating times are
    /// read in `ExpandOptions::tz` only when the calendar names no (known) zone.
    pub default_tz: Option<String>,
    /// REFRESH-INTERVAL / X-PUBLISHED-TTL in seconds.
    pub refresh_interval_secs: Option<u64>,
    /// Lines and components skipped while parsing, in words (no feed secrets).
    pub warnings: Vec<String>,
    /// The feed's VTIMEZONE definitions, used when a TZID is neither IANA nor Windows.
    #[serde(default)]
    pub timezones: Vec<CustomZone>,
}

/// A DATE or DATE-TIME value as written, before any zone is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IcsTime {
    /// `VALUE=DATE`: a calendar date, placed in the user's zone.
    Date { date: NaiveDate },
    /// A local time with no zone: read in the calendar's X-WR-TIMEZONE, else in the
    /// user's zone (`ExpandOptions::tz`).
    Floating { at: NaiveDateTime },
    /// A `...Z` time.
    Utc { at: NaiveDateTime },
    /// A local time with a TZID parameter (resolved at expansion, see [`tz`]).
    Zoned { at: NaiveDateTime, tzid: String },
}

impl IcsTime {
    pub fn is_date(&self) -> bool {
        matches!(self, IcsTime::Date { .. })
    }
}

/// An RDATE value: a single start, or a PERIOD with its own end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RDate {
    pub start: IcsTime,
    /// The PERIOD's length in seconds (`start/end` or `start/duration`).
    pub duration_secs: Option<i64>,
}

/// An attendee as written on an ATTENDEE line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    /// The address without `mailto:`, lower case.
    pub email: String,
    pub cn: Option<String>,
    /// PARTSTAT, upper case (`ACCEPTED`, `DECLINED`, ...).
    pub partstat: Option<String>,
    /// DELEGATED-FROM addresses, without `mailto:`.
    #[serde(default)]
    pub delegated_from: Vec<String>,
}

/// A VALARM trigger as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlarmDef {
    /// Seconds relative to the start, or to the end when `related_end`.
    Relative {
        seconds: i64,
        related_end: bool,
    },
    Absolute {
        at: DateTime<Utc>,
    },
}

/// One VEVENT, normalised. Master events and RECURRENCE-ID overrides are both records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub uid: String,
    /// The RECURRENCE-ID as written (value only), for overrides.
    pub recurrence_id: Option<String>,
    /// The RECURRENCE-ID parsed with its TZID.
    #[serde(default)]
    pub recurrence_id_time: Option<IcsTime>,
    /// `RANGE=THISANDFUTURE` on the RECURRENCE-ID.
    #[serde(default)]
    pub this_and_future: bool,
    #[serde(default)]
    pub sequence: i64,
    #[serde(default)]
    pub summary: String,
    pub location: Option<String>,
    /// Shared by every occurrence expanded from it (see `Occurrence::description`).
    pub description: Option<std::sync::Arc<str>>,
    /// DTSTART; an event without one is dropped at parse time with a warning.
    pub start: Option<IcsTime>,
    pub end: Option<IcsTime>,
    /// DURATION in seconds, days counted as 86,400 s (the whole length, for all-day
    /// events and estimates).
    pub duration_secs: Option<i64>,
    /// The nominal day part of DURATION (`P1W` is 7): a timed instance ends that many
    /// days later at the same local wall time, then `duration_secs - 86,400 * days`
    /// exact seconds on (RFC 5545 3.3.6). Zero for records cached before it existed,
    /// which keeps their old, exact reading.
    #[serde(default)]
    pub duration_days: i64,
    /// RRULE values (without the `RRULE:` name).
    #[serde(default)]
    pub rrules: Vec<String>,
    #[serde(default)]
    pub rdates: Vec<RDate>,
    #[serde(default)]
    pub exdates: Vec<IcsTime>,
    /// STATUS, upper case.
    pub status: Option<String>,
    /// TRANSP:TRANSPARENT or X-MICROSOFT-CDO-BUSYSTATUS:FREE.
    #[serde(default)]
    pub free: bool,
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// ORGANIZER address (without `mailto:`) or CN when no address.
    pub organizer: Option<String>,
    /// The organizer's name (ORGANIZER's CN), for people to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer_name: Option<String>,
    #[serde(default)]
    pub alarms: Vec<AlarmDef>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// COLOR as `#RRGGBB` when it could be read.
    pub color: Option<String>,
    /// The meeting link chosen at parse time (see [`links`]).
    pub join_url: Option<String>,
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
    /// The user's zone: all-day dates are placed in it, and floating times when the
    /// calendar names no zone (X-WR-TIMEZONE).
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
///
/// The parser is iterative (no recursion), so it is safe on any thread stack; the
/// nesting depth is still checked first by [`scan::prescan`] so hostile bodies cost
/// microseconds.
pub fn parse_feed(body: &[u8]) -> Result<Calendar, FeedError> {
    match scan::prescan_shape(body)? {
        scan::Shape::Calendar => Ok(parse::parse_calendar(body)),
        scan::Shape::BareEvents => {
            // Read inside the VCALENDAR the file forgot; the events are not lost.
            let mut wrapped = Vec::with_capacity(body.len() + 64);
            wrapped.extend_from_slice(b"BEGIN:VCALENDAR\r\n");
            wrapped.extend_from_slice(body);
            wrapped.extend_from_slice(b"\r\nEND:VCALENDAR\r\n");
            let mut cal = parse::parse_calendar(&wrapped);
            cal.meta.warnings.insert(
                0,
                "the file has no VCALENDAR around its events; read as one calendar".into(),
            );
            Ok(cal)
        }
    }
}

/// The occurrences of `calendar` overlapping `opts.window`, sorted by start, within the
/// budget of the window ([`expand_report`] also says what the budget cut).
pub fn expand(calendar: &Calendar, opts: &ExpandOptions) -> Vec<Occurrence> {
    expand::expand_calendar(calendar, opts).occurrences
}

/// [`expand`] with what was cut: `truncation.truncated` when the feed's budget (see
/// [`budget`]) or a rule's own limits left occurrences out.
pub fn expand_report(calendar: &Calendar, opts: &ExpandOptions) -> Expansion {
    expand::expand_calendar(calendar, opts)
}
