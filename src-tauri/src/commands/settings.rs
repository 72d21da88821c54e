//! Settings commands: every key with its value, type and help; and validated changes.

use serde::Serialize;
use tauri::State;

use calendarbot_core::autostart;
use calendarbot_core::settings::{self, Kind};

use super::error::{CmdResult, IpcError};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct SettingView {
    pub key: &'static str,
    pub value: String,
    pub default: &'static str,
    /// "bool", "int", "emails" or "choice".
    pub kind: &'static str,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub choices: Vec<&'static str>,
    pub help: &'static str,
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> CmdResult<Vec<SettingView>> {
    let values = settings::all(&state.backend.pool).await?;
    Ok(values
        .into_iter()
        .filter_map(|(key, value)| {
            let spec = settings::spec(key).ok()?;
            let (kind, min, max, choices) = match spec.kind {
                Kind::Bool => ("bool", None, None, vec![]),
                Kind::Int { min, max } => ("int", Some(min), Some(max), vec![]),
                Kind::Emails => ("emails", None, None, vec![]),
                Kind::MinutesList { .. } => ("minutes", None, None, vec![]),
                Kind::Choice(c) => ("choice", None, None, c.to_vec()),
            };
            Some(SettingView {
                key,
                value,
                default: spec.default,
                kind,
                min,
                max,
                choices,
                help: spec.help,
            })
        })
        .collect())
}

/// Validates and stores one setting; returns the canonical value stored.
#[tauri::command]
pub async fn set_setting(
    state: State<'_, AppState>,
    key: String,
    value: String,
) -> CmdResult<String> {
    let stored = settings::set(&state.backend.pool, &key, &value).await?;
    if key == autostart::SETTING {
        autostart::follow_setting(stored == "true", &state.backend.paths).map_err(|e| {
            IpcError {
                code: "autostart",
                message: format!("saved, but the autostart entry could not be written: {e}"),
            }
        })?;
    }
    state.backend.notify_changed();
    Ok(stored)
}
