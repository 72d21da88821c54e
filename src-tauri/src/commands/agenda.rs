//! Commands that read the agenda: the overview the window loads in one call, any
//! day or week range, and Join.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use calendarbot_core::backend::Backend;

use calendarbot_core::agenda::{self, next_meeting};
use calendarbot_core::model::{Occurrence, Window};

use super::error::{CmdResult, IpcError};
use crate::menu_model;
use crate::state::AppState;

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
    pub demo: bool,
    /// "in 4 min: Standup", as in the tray.
    pub headline: String,
    pub current: Option<OccurrenceView>,
    pub next: Option<OccurrenceView>,
    /// The agenda window's occurrences (today and the coming week).
    pub upcoming: Vec<OccurrenceView>,
}

/// Everything the "What's next" page needs, in one call.
#[tauri::command]
pub fn get_overview(state: State<'_, AppState>) -> Overview {
    let snapshot = state.backend.agenda();
    let now = state.backend.clock.now();
    let list = &snapshot.occurrences;
    let next = next_meeting(list, now);
    let current = list
        .iter()
        .find(|o| agenda::is_attended(o) && !o.all_day && o.in_progress(now));
    Overview {
        now,
        tz: snapshot.tz.name().to_string(),
        demo: snapshot.demo,
        headline: next.map_or_else(
            || "No upcoming meetings".into(),
            |o| menu_model::headline(o, now, snapshot.tz),
        ),
        current: current.map(Into::into),
        next: next.filter(|n| Some(*n) != current).map(Into::into),
        upcoming: list
            .iter()
            .filter(|o| o.end > now)
            .map(Into::into)
            .collect(),
    }
}

/// Occurrences of `days` days from `from` (a date, midnight in the system zone).
#[tauri::command]
pub async fn get_agenda(
    state: State<'_, AppState>,
    from: String,
    days: u32,
) -> CmdResult<Vec<OccurrenceView>> {
    if !(1..=42).contains(&days) {
        return Err(IpcError::new(
            "invalid_value",
            "days must be between 1 and 42",
        ));
    }
    let date = NaiveDate::parse_from_str(&from, "%Y-%m-%d")
        .map_err(|_| IpcError::new("invalid_value", "from must be a date like 2026-03-01"))?;
    let tz = state.backend.agenda().tz;
    let window = Window {
        from: agenda::start_of_day(date, tz),
        to: agenda::start_of_day(date + Days::new(u64::from(days)), tz),
    };
    let list = state.backend.occurrences_between(window, tz).await?;
    Ok(list.iter().map(Into::into).collect())
}

/// Opens the meeting link of an occurrence of the current agenda. The UI passes an
/// occurrence key, never a URL: the link comes from the backend and goes through
/// the allow-listed opener.
#[tauri::command]
pub async fn join_occurrence(state: State<'_, AppState>, key: String) -> CmdResult<()> {
    join(&state.backend, key).await
}

/// Join, shared by the command, the tray and notification actions.
pub async fn join(backend: &Backend, key: String) -> CmdResult<()> {
    let url = backend
        .agenda()
        .occurrences
        .iter()
        .find(|o| o.key() == key)
        .ok_or_else(|| IpcError::not_found("meeting"))?
        .join_url
        .clone()
        .ok_or_else(|| IpcError::new("no_link", "this meeting has no link to join"))?;
    backend
        .tasks
        .blocking(move || crate::opener::open(&url))
        .await
        .map_err(IpcError::internal)?
        .map_err(|e| IpcError::new("open_failed", e.to_string()))
}
