//! CalDAV account commands for the window's "Add account" form, over
//! `calendarbot_core::api::accounts`.

use tauri::{AppHandle, Emitter, Runtime, State};

use calendarbot_core::api::accounts as api;
pub use calendarbot_core::api::accounts::AccountInput;
use calendarbot_core::caldav::accounts::AccountPreview;

use super::error::CmdResult;
use super::sources::SourceView;
use crate::events;
use crate::state::AppState;

#[tauri::command]
pub async fn discover_account(
    state: State<'_, AppState>,
    input: AccountInput,
) -> CmdResult<AccountPreview> {
    Ok(api::discover_from_window(&state.backend, input).await?)
}

#[tauri::command]
pub async fn add_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: AccountInput,
    calendars: Vec<String>,
) -> CmdResult<Vec<SourceView>> {
    let added = api::add_from_window(&state.backend, input, calendars).await?;
    let _ = app.emit(events::SOURCES_CHANGED, ());
    Ok(added)
}
