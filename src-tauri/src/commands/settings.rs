//! Settings commands: every key with its value, type and help; and validated changes.
//! The settings that widen what the app may read or fetch, or write outside the data
//! directory, are shown but not changed from here (`window_policy::READ_ONLY_SETTINGS`).

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use calendarbot_core::settings::{self, Kind};
use calendarbot_core::window_policy;

use super::error::CmdResult;
use crate::state::AppState;

/// How a setting is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SettingKind {
    Bool,
    Int,
    /// Comma-separated e-mail addresses.
    Emails,
    /// Comma-separated minutes ("5,10").
    Minutes,
    /// One of `choices`.
    Choice,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SettingView {
    pub key: &'static str,
    /// What a person reads (the key is the command line's name).
    pub label: &'static str,
    pub group: settings::SettingGroup,
    pub value: String,
    pub default: &'static str,
    pub kind: SettingKind,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub choices: Vec<&'static str>,
    pub help: &'static str,
    /// Changed only with `calendarbot settings set`, not from the window.
    pub read_only: bool,
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> CmdResult<Vec<SettingView>> {
    let values = settings::all(&state.backend.pool).await?;
    Ok(values
        .into_iter()
        .filter_map(|(key, value)| {
            let spec = settings::spec(key).ok()?;
            let (kind, min, max, choices) = match spec.kind {
                Kind::Bool => (SettingKind::Bool, None, None, vec![]),
                Kind::Int { min, max } => (SettingKind::Int, Some(min), Some(max), vec![]),
                Kind::Emails => (SettingKind::Emails, None, None, vec![]),
                Kind::MinutesList { .. } => (SettingKind::Minutes, None, None, vec![]),
                Kind::Choice(c) => (SettingKind::Choice, None, None, c.to_vec()),
            };
            Some(SettingView {
                key,
                label: spec.label,
                group: spec.group,
                value,
                default: spec.default,
                kind,
                min,
                max,
                choices,
                help: spec.help,
                read_only: window_policy::check_setting(key).is_err(),
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
    window_policy::check_setting(&key)?;
    let stored = settings::set(&state.backend.pool, &key, &value).await?;
    state.backend.notify_changed();
    Ok(stored)
}
