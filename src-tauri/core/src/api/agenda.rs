//! Reading the agenda: the overview the window loads in one call, any day or week range,
//! the next meeting (for `calendarbot next`), and Join.
//!
//! The headline ("in 4 min: Standup") is the tray's wording and lives with the tray's
//! menu model in the shell; the operations here take it as a function.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use ts_rs::TS;

use crate::agenda::{self, next_meeting};
use crate::backend::{self, Backend};
use crate::clock::system_zone;
use crate::ctx::Ctx;
use crate::model::{Occurrence, Window};

use super::error::{ApiError, ApiResult, Code};

/// Formats the headline of a meeting at `now` in `tz`.
pub type Headline<'a> = &'a dyn Fn(&Occurrence, DateTime<Utc>, Tz) -> String;

/// The headline when there is no meeting to show.
pub const NO_MEETINGS: &str = "No upcoming meetings";

/// The longest range [`range`] expands, in days.
pub const MAX_DAYS: u32 = 42;

/// An occurrence as the UI sees it: with its key, for Join and selection.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OccurrenceView {
    pub key: String,
    #[serde(flatten)]
    pub occurrence: Occurrence,
}

impl From<&Occurrence> for OccurrenceView {
    fn from(o: &Occurrence) -> Self {
        Self {
            key: o.key(),
            occurrence: o.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Overview {
    pub now: DateTime<Utc>,
    pub tz: String,
    /// How times are written (the system locale's hour cycle), as in the tray.
    pub clock: crate::timefmt::TimeFormat,
    pub demo: bool,
    /// "in 4 min: Standup", as in the tray.
    pub headline: String,
    pub current: Option<OccurrenceView>,
    pub next: Option<OccurrenceView>,
    /// The agenda window's occurrences (today and the coming week).
    pub upcoming: Vec<OccurrenceView>,
}

/// Everything the "What's next" page needs, from the live agenda.
pub fn overview(backend: &Backend, headline: Headline<'_>) -> Overview {
    let snapshot = backend.agenda();
    let now = backend.clock().now();
    let list = &snapshot.occurrences;
    let next = next_meeting(list, now);
    let current = list
        .iter()
        .find(|o| agenda::is_attended(o) && !o.all_day && o.in_progress(now));
    Overview {
        now,
        tz: snapshot.tz.name().to_string(),
        clock: crate::timefmt::TimeFormat::current(),
        demo: snapshot.demo,
        headline: next.map_or_else(|| NO_MEETINGS.into(), |o| headline(o, now, snapshot.tz)),
        current: current.map(Into::into),
        next: next.filter(|n| Some(*n) != current).map(Into::into),
        upcoming: list
            .iter()
            .filter(|o| o.end > now)
            .map(Into::into)
            .collect(),
    }
}

/// Occurrences of `days` days from `from` (a date, midnight in the agenda's zone).
pub async fn range(backend: &Backend, from: &str, days: u32) -> ApiResult<Vec<OccurrenceView>> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::new(
            Code::InvalidValue,
            format!("days must be between 1 and {MAX_DAYS}"),
        ));
    }
    let date = NaiveDate::parse_from_str(from, "%Y-%m-%d")
        .map_err(|_| ApiError::new(Code::InvalidValue, "from must be a date like 2026-03-01"))?;
    let tz = backend.agenda().tz;
    let window = Window {
        from: agenda::start_of_day(date, tz),
        to: agenda::start_of_day(date + Days::new(u64::from(days)), tz),
    };
    let list = backend.occurrences_between(window, tz).await?;
    Ok(list.iter().map(Into::into).collect())
}

/// The next meeting as `calendarbot next` sees it, read from the cache.
#[derive(Debug, Clone)]
pub struct NextMeeting {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub next: Option<Occurrence>,
    /// The meeting "Join next meeting" opens ([`agenda::join_target`]), if any.
    pub join: Option<Occurrence>,
}

/// The next meeting from the cache (no running app needed): the occurrences from a day
/// ago (one may be in progress) to the end of the agenda's last day.
pub async fn next(ctx: &Ctx) -> ApiResult<NextMeeting> {
    let tz = system_zone();
    let now = ctx.clock().now();
    let inputs = backend::AgendaInputs::load(ctx.pool()).await?;
    let today = now.with_timezone(&tz).date_naive();
    let window = Window {
        from: now - chrono::Duration::days(1),
        to: agenda::start_of_day(today + Days::new(backend::AGENDA_DAYS), tz),
    };
    // The same filter as the tray's (hide rules, declined meetings).
    let list = inputs.shown(window, tz);
    Ok(NextMeeting {
        now,
        tz,
        next: next_meeting(&list, now).cloned(),
        join: agenda::join_target(&list, now, tz).cloned(),
    })
}

/// Join: opens the meeting link of an occurrence of the live agenda with `open` (the
/// shell's allow-listed opener), on the blocking pool. Callers pass an occurrence key,
/// never a URL: the link comes from the backend.
pub async fn join<E>(
    backend: &Backend,
    key: &str,
    open: impl FnOnce(&str) -> Result<(), E> + Send + 'static,
) -> ApiResult<()>
where
    E: std::fmt::Display + Send + 'static,
{
    let url = backend
        .agenda()
        .occurrences
        .iter()
        .find(|o| o.key() == key)
        .ok_or_else(|| ApiError::not_found("meeting"))?
        .join_url
        .clone()
        .ok_or_else(|| ApiError::new(Code::NoLink, "this meeting has no link to join"))?;
    backend
        .tasks()
        .blocking(move || open(&url))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(Code::OpenFailed, e.to_string()))
}
