//! Hide rules from the window: hide an occurrence or a whole series from the event's
//! details, list the rules and unhide them in Settings (see
//! `calendarbot_core::api::hide`). The running app's agenda follows at once, and with it
//! the tray, the window (`agenda-changed`) and the reminders.

use tauri::State;

use calendarbot_core::api::hide as api;
pub use calendarbot_core::api::hide::{HiddenView, HideInput};

use super::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub async fn list_hidden(state: State<'_, AppState>) -> CmdResult<Vec<HiddenView>> {
    Ok(api::list(state.backend.ctx()).await?)
}

/// Hides one occurrence (`recurrence_id` set) or every occurrence of the event.
#[tauri::command]
pub async fn hide_event(state: State<'_, AppState>, input: HideInput) -> CmdResult<HiddenView> {
    Ok(api::hide(state.backend.ctx(), input).await?)
}

#[tauri::command]
pub async fn unhide_event(state: State<'_, AppState>, id: i64) -> CmdResult<HiddenView> {
    Ok(api::unhide(state.backend.ctx(), id).await?)
}
