//! Commands that act rather than read: refresh now, pause notifications, close the window,
//! and the reminder window's two (its capability, `alert.json`, allows only those).

use tauri::{Runtime, State, WebviewWindow};

use calendarbot_core::api::control as api;
pub use calendarbot_core::api::control::{PauseMode, PauseState};
pub use calendarbot_core::reminders::{Alert, AlertAction};

use super::error::{CmdResult, IpcError};
use crate::state::AppState;

#[tauri::command]
pub fn refresh_now(state: State<'_, AppState>) {
    api::refresh_now(&state.backend);
}

/// Closes the calling window (Ctrl+W in the page) the way the title bar's close button
/// does: the window and its webview are destroyed, so their WebKit processes end, and
/// the app stays in the tray.
#[tauri::command]
pub fn close_window<R: Runtime>(window: WebviewWindow<R>) -> CmdResult<()> {
    window.close().map_err(IpcError::internal)
}

#[tauri::command]
pub async fn pause_notifications(
    state: State<'_, AppState>,
    mode: PauseMode,
) -> CmdResult<PauseState> {
    Ok(api::pause(&state.backend, mode).await?)
}

/// What the reminder window shows (`null`: its meeting was acted on elsewhere).
#[tauri::command]
pub fn get_alert(state: State<'_, AppState>) -> Option<Alert> {
    api::alert(&state.backend)
}

#[tauri::command]
pub fn alert_action(state: State<'_, AppState>, action: AlertAction) -> CmdResult<()> {
    Ok(api::act_on_alert(&state.backend, action)?)
}
