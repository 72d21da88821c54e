//! The data every layer shares: one occurrence of an event in a time window.
//!
//! The calendar engine (`ics`) produces [`Occurrence`]s; the cache, the reminder
//! scheduler, the tray menu, the window and the command line only read them.
//! All instants are UTC; all-day occurrences also carry their calendar dates.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The user's participation in an event, read from the ATTENDEE line that matches
/// one of the user's addresses (`me.emails`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum PartStat {
    Accepted,
    Declined,
    Tentative,
    NeedsAction,
    Delegated,
}

/// When an alarm fires, as the event's VALARM says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AlarmTrigger {
    /// Seconds relative to the occurrence's start (negative: before it).
    /// Triggers `RELATED=END` are converted to start-relative on expansion.
    Relative { seconds: i64 },
    /// A fixed instant (`TRIGGER;VALUE=DATE-TIME`).
    Absolute { at: DateTime<Utc> },
}

/// How an occurrence's original start is written in its key and in stored rules (UTC).
pub const INSTANT_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// One occurrence of an event, ready to show and to remind about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Occurrence {
    /// Display name of the calendar it came from (the file name for `--ics`).
    pub source: String,
    /// Id of the configured source; `None` for `agenda --ics` files.
    pub source_id: Option<i64>,
    pub uid: String,
    /// The occurrence's original start (its RECURRENCE-ID), RFC 3339 UTC; together with
    /// `source_id` and `uid` it identifies the occurrence even when an override moves it.
    pub recurrence_id: Option<DateTime<Utc>>,
    pub summary: String,
    /// Start instant. For all-day occurrences: midnight of `start_date` in the zone the
    /// agenda was expanded in.
    pub start: DateTime<Utc>,
    /// End instant (exclusive); equal to `start` for zero-length events.
    pub end: DateTime<Utc>,
    pub all_day: bool,
    /// Calendar dates of an all-day occurrence; `end_date` is exclusive.
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// STATUS:CANCELLED on the master or the instance (or an Outlook "Canceled:" title
    /// when that setting is on).
    pub cancelled: bool,
    /// STATUS:TENTATIVE on the event itself.
    pub tentative: bool,
    /// TRANSP:TRANSPARENT or X-MICROSOFT-CDO-BUSYSTATUS:FREE.
    pub free: bool,
    pub location: Option<String>,
    /// Shared with the event's other occurrences: up to 64 KB, once per event, not once
    /// per instance (a daily meeting's dial-in text over ten years would be 230 MB).
    #[ts(type = "string | null")]
    pub description: Option<Arc<str>>,
    /// The meeting link, already checked to be https/http or a known meeting scheme.
    pub join_url: Option<String>,
    /// The user's own participation status, when one of `me.emails` is an attendee.
    pub my_status: Option<PartStat>,
    pub attendees: u32,
    /// The organizer's address (or name when the feed gives no address).
    pub organizer: Option<String>,
    /// The organizer's name (CN), when the feed gives one.
    pub organizer_name: Option<String>,
    /// The event's own VALARM triggers (DISPLAY and AUDIO alarms).
    pub alarms: Vec<AlarmTrigger>,
    pub categories: Vec<String>,
    /// Event colour (RFC 7986 COLOR) or the calendar's colour, as `#RRGGBB`.
    pub color: Option<String>,
    /// Expansion hit its budget for this event (a "suspicious recurrence").
    pub truncated: bool,
}

impl Occurrence {
    /// A timed occurrence with every optional field empty and no source id; set the
    /// rest with struct update syntax.
    pub fn timed(
        source: &str,
        uid: &str,
        summary: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Self {
        Self {
            source: source.into(),
            source_id: None,
            uid: uid.into(),
            recurrence_id: None,
            summary: summary.into(),
            start,
            end,
            all_day: false,
            start_date: None,
            end_date: None,
            cancelled: false,
            tentative: false,
            free: false,
            location: None,
            description: None,
            join_url: None,
            my_status: None,
            attendees: 0,
            organizer: None,
            organizer_name: None,
            alarms: Vec::new(),
            categories: Vec::new(),
            color: None,
            truncated: false,
        }
    }

    /// A stable key for this occurrence: the reminder ledger, the hide rules and the UI
    /// use it.
    pub fn key(&self) -> String {
        Self::key_for(
            self.source_id.unwrap_or(0),
            &self.uid,
            self.original_start(),
        )
    }

    /// Where the occurrence stood before any override moved it: its RECURRENCE-ID, else
    /// its start. With the source and the UID it names the occurrence.
    pub fn original_start(&self) -> DateTime<Utc> {
        self.recurrence_id.unwrap_or(self.start)
    }

    /// The [`Occurrence::key`] of the occurrence of `uid` in source `source_id` whose
    /// original start (RECURRENCE-ID, or start) is `instant`.
    pub fn key_for(source_id: i64, uid: &str, instant: DateTime<Utc>) -> String {
        format!("{source_id}|{uid}|{}", instant.format(INSTANT_FORMAT))
    }

    /// True while `now` is inside [start, end).
    pub fn in_progress(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.end
    }
}

/// A half-open window [from, to) in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// The overlap rule of the agenda contract: an occurrence is in the window when
    /// `start < to && end > from`; a zero-length one when `from <= start < to`.
    pub fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        if end <= start {
            self.from <= start && start < self.to
        } else {
            start < self.to && end > self.from
        }
    }
}
