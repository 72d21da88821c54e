//! Source commands for the window: list with health, add, edit, remove, and "test
//! connection" (one fetch and parse without saving anything). Locations shown are
//! `scheme://host` only: feed URLs are credentials. Locations typed or chosen in the
//! window go through `window_policy` first (files under home only, no local network).

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;

use calendarbot_core::backend::{Backend, ConnectionTest};
use calendarbot_core::cache::{self, SourceHealth, SourceStatus};
use calendarbot_core::fetch::breaker::CircuitState;
use calendarbot_core::secrets::StoreKind;
use calendarbot_core::settings::Settings;
use calendarbot_core::sources::{
    self, Auth, AuthKind, Location, NewSource, Source, SourceError, SourceKind, SourceUpdate,
};
use calendarbot_core::window_policy;

use super::error::{CmdResult, IpcError};
use crate::events;
use crate::state::AppState;

impl From<SourceError> for IpcError {
    fn from(e: SourceError) -> Self {
        match e {
            SourceError::InvalidLocation(_) => IpcError::new("invalid_location", e.to_string()),
            SourceError::InvalidColor(_) => IpcError::new("invalid_color", e.to_string()),
            SourceError::InvalidInterval | SourceError::InvalidLead => {
                IpcError::new("invalid_value", e.to_string())
            }
            SourceError::DuplicateName(_) => IpcError::new("duplicate_name", e.to_string()),
            SourceError::NotFound(_) => IpcError::new("not_found", e.to_string()),
            SourceError::MissingSecret(_) => IpcError::new("missing_secret", e.to_string()),
            other => IpcError::internal(other),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct HealthView {
    pub status: SourceStatus,
    pub last_success: Option<chrono::DateTime<chrono::Utc>>,
    pub last_checked: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub circuit: CircuitState,
    /// Until when an open circuit waits before its next probe.
    pub circuit_open_until: Option<chrono::DateTime<chrono::Utc>>,
    pub consecutive_failures: u32,
    pub stale: bool,
    pub events: i64,
}

/// How a source is reached, as the Sources page words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    File,
    /// http, https or webcal.
    Http,
    /// A calendar of a CalDAV account.
    Caldav,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SourceView {
    pub id: i64,
    pub name: String,
    /// `scheme://host[:port]` or the file path.
    pub location: String,
    pub kind: LocationKind,
    pub color: Option<String>,
    pub enabled: bool,
    pub auth: AuthKind,
    pub interval_minutes: Option<i64>,
    /// No reminders for this calendar.
    pub muted: bool,
    /// Its own reminder lead time; `None`: notify.lead_minutes.
    pub lead_minutes: Option<i64>,
    pub secret_store: Option<StoreKind>,
    pub health: Option<HealthView>,
}

fn view(s: Source, health: Option<&SourceHealth>) -> SourceView {
    SourceView {
        id: s.id,
        name: s.name,
        location: s.display,
        kind: match s.kind {
            SourceKind::File => LocationKind::File,
            SourceKind::Caldav => LocationKind::Caldav,
            SourceKind::Http | SourceKind::Webcal => LocationKind::Http,
        },
        color: s.color,
        enabled: s.enabled,
        auth: s.auth,
        interval_minutes: s.interval_minutes,
        muted: s.muted,
        lead_minutes: s.lead_minutes,
        secret_store: s.secret_store,
        health: health.map(|h| HealthView {
            status: h.status,
            last_success: h.last_success,
            last_checked: h.last_checked,
            last_error: h.last_error.clone(),
            circuit: h.circuit,
            circuit_open_until: h.circuit_open_until,
            consecutive_failures: h.consecutive_failures,
            stale: h.stale,
            events: h.event_count,
        }),
    }
}

/// Every source with its health, as the Sources and Diagnostics pages show them.
pub async fn source_views(backend: &Backend) -> CmdResult<Vec<SourceView>> {
    let settings = Settings::load(&backend.pool).await?;
    let health = cache::health(&backend.pool, backend.clock.now(), &settings)
        .await
        .map_err(IpcError::internal)?;
    let list = sources::list(&backend.pool).await?;
    Ok(list
        .into_iter()
        .map(|s| {
            let h = health.iter().find(|h| h.source_id == s.id);
            view(s, h)
        })
        .collect())
}

#[tauri::command]
pub async fn list_sources(state: State<'_, AppState>) -> CmdResult<Vec<SourceView>> {
    source_views(&state.backend).await
}

/// Applies the window's rules to a location typed or chosen there.
async fn checked_location(state: &AppState, input: &str) -> Result<Location, IpcError> {
    let settings = Settings::load(&state.backend.pool).await?;
    let root = state.local_root.clone();
    let input = input.to_string();
    // Reads the file system (canonicalize, metadata): on the blocking pool.
    state
        .backend
        .tasks
        .blocking(move || {
            window_policy::check_location(&input, &root, settings.allow_local_network)
        })
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::from)
}

/// What the Add and Test forms send.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SourceInput {
    /// An http(s) or webcal address, or the path of a .ics file under the home folder.
    pub location: String,
    pub name: Option<String>,
    pub color: Option<String>,
    #[serde(default)]
    pub auth: Option<AuthInput>,
}

/// The sign-in a form chose; absent: none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AuthChoice {
    None,
    Basic,
    Bearer,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AuthInput {
    #[serde(default)]
    pub kind: Option<AuthChoice>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
}

impl AuthInput {
    fn into_auth(self) -> CmdResult<Auth> {
        let missing = |what: &str| IpcError::new("invalid_value", format!("{what} is required"));
        match self.kind.unwrap_or(AuthChoice::None) {
            AuthChoice::None => Ok(Auth::None),
            AuthChoice::Basic => Ok(Auth::Basic {
                user: self
                    .user
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| missing("a user name"))?,
                password: self.password.unwrap_or_default(),
            }),
            AuthChoice::Bearer => Ok(Auth::Bearer {
                token: self
                    .token
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| missing("a token"))?,
            }),
        }
    }
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

#[tauri::command]
pub async fn add_source<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: SourceInput,
) -> CmdResult<SourceView> {
    let backend = &state.backend;
    let location = match checked_location(&state, &input.location).await? {
        // The canonical path: what was checked is what is stored.
        Location::File(path) => path.to_string_lossy().into_owned(),
        Location::Url { .. } => input.location,
    };
    let new = NewSource {
        location,
        name: blank_to_none(input.name),
        color: blank_to_none(input.color),
        auth: input.auth.unwrap_or_default().into_auth()?,
        interval_minutes: None,
        muted: false,
        lead_minutes: None,
    };
    let source = sources::add(&backend.pool, &backend.secrets, new).await?;
    backend.notify_changed();
    backend.refresh_now();
    let _ = app.emit(events::SOURCES_CHANGED, ());
    Ok(view(source, None))
}

/// The fields of a source to change; absent ones stay as they are.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SourcePatch {
    pub name: Option<String>,
    pub color: Option<String>,
    pub enabled: Option<bool>,
    pub interval_minutes: Option<i64>,
    pub muted: Option<bool>,
    /// Absent: unchanged; `null`: back to notify.lead_minutes; a number: minutes.
    #[serde(default, deserialize_with = "present")]
    #[ts(optional, type = "number | null")]
    pub lead_minutes: Option<Option<i64>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`, by default).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[tauri::command]
pub async fn update_source<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
    patch: SourcePatch,
) -> CmdResult<SourceView> {
    let backend = &state.backend;
    if patch.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(IpcError::new("invalid_value", "a calendar needs a name"));
    }
    let update = SourceUpdate {
        name: patch.name.map(|n| n.trim().to_string()),
        color: patch.color.map(|c| blank_to_none(Some(c))),
        enabled: patch.enabled,
        interval_minutes: patch.interval_minutes.map(Some),
        muted: patch.muted,
        lead_minutes: patch.lead_minutes,
    };
    let source = sources::update(&backend.pool, id, update).await?;
    backend.notify_changed();
    let _ = app.emit(events::SOURCES_CHANGED, ());
    Ok(view(source, None))
}

#[tauri::command]
pub async fn remove_source<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
) -> CmdResult<()> {
    let backend = &state.backend;
    sources::remove(&backend.pool, &backend.secrets, id).await?;
    backend.notify_changed();
    let _ = app.emit(events::SOURCES_CHANGED, ());
    Ok(())
}

/// Fetches and parses a location once, through the shared client and its policies,
/// without storing anything. A location the window may not use is a failed test with
/// the policy's words (one message for every path refused).
#[tauri::command]
pub async fn test_source(
    state: State<'_, AppState>,
    input: SourceInput,
) -> CmdResult<ConnectionTest> {
    let location = match checked_location(&state, &input.location).await {
        Ok(location) => location,
        Err(e) if e.code == "invalid_location" || e.code == "local_network" => {
            return Ok(ConnectionTest {
                ok: false,
                provider: String::new(),
                events: 0,
                message: e.message,
            })
        }
        Err(e) => return Err(e),
    };
    let auth = input.auth.unwrap_or_default().into_auth()?;
    Ok(state.backend.test_location(location, auth).await?)
}
