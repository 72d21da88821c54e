//! Commands that read the agenda: the overview the window loads in one call, any
//! day or week range, and Join (see `calendarbot_core::api::agenda`).

use tauri::State;

use calendarbot_core::api::agenda as api;
pub use calendarbot_core::api::agenda::{OccurrenceView, Overview};
use calendarbot_core::{menu_model, opener};

use super::error::CmdResult;
use crate::state::AppState;

/// Everything the "What's next" page needs, in one call.
#[tauri::command]
pub fn get_overview(state: State<'_, AppState>) -> Overview {
    api::overview(&state.backend, &menu_model::headline)
}

/// Occurrences of `days` days from `from` (a date, midnight in the system zone).
#[tauri::command]
pub async fn get_agenda(
    state: State<'_, AppState>,
    from: String,
    days: u32,
) -> CmdResult<Vec<OccurrenceView>> {
    Ok(api::range(&state.backend, &from, days).await?)
}

/// Opens the meeting link of an occurrence of the current agenda. The UI passes an
/// occurrence key, never a URL: the link comes from the backend and goes through
/// the allow-listed opener.
#[tauri::command]
pub async fn join_occurrence(state: State<'_, AppState>, key: String) -> CmdResult<()> {
    Ok(api::join(&state.backend, &key, opener::open).await?)
}
