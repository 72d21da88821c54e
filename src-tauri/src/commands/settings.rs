//! Settings commands: every key with its value, type and help; and validated changes.
//! The settings that widen what the app may read or fetch, or write outside the data
//! directory, are shown but not changed from here (see `calendarbot_core::api::settings`).

use tauri::State;

use calendarbot_core::api::settings::{self as api, Caller};
pub use calendarbot_core::api::settings::{SettingKind, SettingView};

use super::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> CmdResult<Vec<SettingView>> {
    Ok(api::views(state.backend.ctx()).await?)
}

/// Validates and stores one setting; returns the canonical value stored.
#[tauri::command]
pub async fn set_setting(
    state: State<'_, AppState>,
    key: String,
    value: String,
) -> CmdResult<String> {
    Ok(api::set(state.backend.ctx(), Caller::Window, &key, &value).await?)
}
