//! Diagnostics: what `calendarbot status` shows, for the window (see
//! `calendarbot_core::api::diagnostics`).

use tauri::State;

use calendarbot_core::api::diagnostics as api;
pub use calendarbot_core::api::diagnostics::{Diagnostics, RecentError};

use super::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub async fn get_diagnostics(state: State<'_, AppState>) -> CmdResult<Diagnostics> {
    Ok(api::diagnostics(&state.backend).await?)
}
