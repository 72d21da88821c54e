//! Commands that act rather than read: refresh now, pause notifications, close the window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tauri::{Runtime, State, WebviewWindow};
use ts_rs::TS;

use calendarbot_core::backend::Backend;
use calendarbot_core::reminders::PauseFor;

use super::error::{CmdResult, IpcError};
use crate::state::AppState;

#[tauri::command]
pub fn refresh_now(state: State<'_, AppState>) {
    state.backend.refresh_now();
}

/// Closes the calling window (Ctrl+W in the page) the way the title bar's close button
/// does: the window and its webview are destroyed, so their WebKit processes end, and
/// the app stays in the tray.
#[tauri::command]
pub fn close_window<R: Runtime>(window: WebviewWindow<R>) -> CmdResult<()> {
    window.close().map_err(IpcError::internal)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
pub enum PauseMode {
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "tomorrow")]
    Tomorrow,
    #[serde(rename = "resume")]
    Resume,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PauseState {
    pub paused_until: Option<DateTime<Utc>>,
}

#[tauri::command]
pub async fn pause_notifications(
    state: State<'_, AppState>,
    mode: PauseMode,
) -> CmdResult<PauseState> {
    pause(&state.backend, mode).await
}

/// Pause or resume, shared by the command and the tray.
pub async fn pause(backend: &Backend, mode: PauseMode) -> CmdResult<PauseState> {
    let reminders = backend.reminders().ok_or_else(|| {
        IpcError::new(
            "notifications_unavailable",
            "no notification server is running",
        )
    })?;
    let paused_until = match mode {
        PauseMode::OneHour => Some(
            reminders
                .pause(PauseFor::OneHour)
                .await
                .map_err(IpcError::internal)?,
        ),
        PauseMode::Tomorrow => Some(
            reminders
                .pause(PauseFor::UntilTomorrow)
                .await
                .map_err(IpcError::internal)?,
        ),
        PauseMode::Resume => {
            reminders.resume().await.map_err(IpcError::internal)?;
            None
        }
    };
    Ok(PauseState { paused_until })
}
