//! Settings: every key with its value, type and help; and validated changes, with
//! their side effects (the autostart entry follows `app.autostart`; the running app
//! recomputes its agenda). The window may not change the settings that widen what the
//! app may read or fetch, or write outside the data directory
//! (`window_policy::READ_ONLY_SETTINGS`); the command line may.

use serde::Serialize;
use ts_rs::TS;

use crate::ctx::Ctx;
use crate::settings::{self, Kind};
use crate::{autostart, window_policy};

use super::error::{ApiError, ApiResult};

/// Who asks for a change: the window is the less trusted caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Window,
    CommandLine,
}

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
    /// A key combination ("Ctrl+Alt+J"), or empty.
    Shortcut,
    /// Comma-separated title patterns, `*` for any text.
    Patterns,
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

/// Every setting with its value, as the Settings page edits them.
pub async fn views(ctx: &Ctx) -> ApiResult<Vec<SettingView>> {
    let values = settings::all(ctx.pool()).await?;
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
                Kind::Shortcut => (SettingKind::Shortcut, None, None, vec![]),
                Kind::TitlePatterns => (SettingKind::Patterns, None, None, vec![]),
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

/// One setting's value.
pub async fn get(ctx: &Ctx, key: &str) -> ApiResult<String> {
    Ok(settings::get(ctx.pool(), key).await?)
}

/// Every setting's value, by key.
pub async fn all(ctx: &Ctx) -> ApiResult<Vec<(&'static str, String)>> {
    Ok(settings::all(ctx.pool()).await?)
}

/// Validates and stores one setting and applies its side effects; returns the
/// canonical value stored.
pub async fn set(ctx: &Ctx, caller: Caller, key: &str, value: &str) -> ApiResult<String> {
    if caller == Caller::Window {
        window_policy::check_setting(key)?;
    }
    let stored = settings::set(ctx.pool(), key, value).await?;
    if key == autostart::SETTING {
        autostart::follow_setting(stored == "true", ctx.paths()).map_err(|e| {
            ApiError::internal(format!(
                "saved, but the autostart entry could not be written: {e}"
            ))
        })?;
    }
    ctx.data_changed();
    Ok(stored)
}
