//! Source commands for the window: list with health, add, edit, remove, and "test
//! connection" (one fetch and parse without saving anything). Locations shown are
//! `scheme://host` only: feed URLs are credentials.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, State};

use calendarbot_core::cache::{self, SourceHealth};
use calendarbot_core::fetch::{Fetched, Validators};
use calendarbot_core::settings::Settings;
use calendarbot_core::sources::{
    self, Auth, Location, NewSource, Source, SourceError, SourceUpdate, Target,
};
use calendarbot_core::{ics, sources::provider_name};

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

#[derive(Debug, Clone, Serialize)]
pub struct HealthView {
    pub status: &'static str,
    pub last_success: Option<chrono::DateTime<chrono::Utc>>,
    pub last_checked: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub circuit: String,
    pub stale: bool,
    pub events: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    pub id: i64,
    pub name: String,
    /// `scheme://host[:port]` or the file path.
    pub location: String,
    pub kind: &'static str,
    pub color: Option<String>,
    pub enabled: bool,
    pub auth: &'static str,
    pub interval_minutes: Option<i64>,
    /// No reminders for this calendar.
    pub muted: bool,
    /// Its own reminder lead time; `None`: notify.lead_minutes.
    pub lead_minutes: Option<i64>,
    pub secret_store: Option<&'static str>,
    pub health: Option<HealthView>,
}

fn view(s: Source, health: Option<&SourceHealth>) -> SourceView {
    SourceView {
        id: s.id,
        name: s.name,
        location: s.display,
        kind: if s.kind.as_str() == "file" {
            "file"
        } else {
            "http"
        },
        color: s.color,
        enabled: s.enabled,
        auth: s.auth.as_str(),
        interval_minutes: s.interval_minutes,
        muted: s.muted,
        lead_minutes: s.lead_minutes,
        secret_store: s.secret_store.map(|k| k.as_str()),
        health: health.map(|h| HealthView {
            status: h.status,
            last_success: h.last_success,
            last_checked: h.last_checked,
            last_error: h.last_error.clone(),
            circuit: format!("{:?}", h.circuit).to_ascii_lowercase(),
            stale: h.stale,
            events: h.event_count,
        }),
    }
}

#[tauri::command]
pub async fn list_sources(state: State<'_, AppState>) -> CmdResult<Vec<SourceView>> {
    let backend = &state.backend;
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

/// What the Add and Test forms send.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceInput {
    pub location: String,
    pub name: Option<String>,
    pub color: Option<String>,
    #[serde(default)]
    pub auth: AuthInput,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthInput {
    #[serde(default)]
    pub kind: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
}

impl AuthInput {
    fn into_auth(self) -> CmdResult<Auth> {
        let missing = |what: &str| IpcError::new("invalid_value", format!("{what} is required"));
        match self.kind.as_deref().unwrap_or("none") {
            "none" | "" => Ok(Auth::None),
            "basic" => Ok(Auth::Basic {
                user: self
                    .user
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| missing("a user name"))?,
                password: self.password.unwrap_or_default(),
            }),
            "bearer" => Ok(Auth::Bearer {
                token: self
                    .token
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| missing("a token"))?,
            }),
            _ => Err(IpcError::new(
                "invalid_value",
                "unknown authentication kind",
            )),
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
    let new = NewSource {
        location: input.location,
        name: blank_to_none(input.name),
        color: blank_to_none(input.color),
        auth: input.auth.into_auth()?,
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

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SourcePatch {
    pub name: Option<String>,
    pub color: Option<String>,
    pub enabled: Option<bool>,
    pub interval_minutes: Option<i64>,
    pub muted: Option<bool>,
    /// Absent: unchanged; `null`: back to notify.lead_minutes; a number: minutes.
    #[serde(default, deserialize_with = "present")]
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

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub ok: bool,
    pub provider: &'static str,
    pub events: usize,
    pub message: String,
}

/// Fetches and parses a location once, through the shared client and its policies,
/// without storing anything.
#[tauri::command]
pub async fn test_source(state: State<'_, AppState>, input: SourceInput) -> CmdResult<TestResult> {
    let backend = &state.backend;
    let location = sources::parse_location(&input.location)?;
    let provider = provider_name(&location);
    let target = match location {
        Location::File(path) => Target::File { path },
        Location::Url { url, .. } => Target::Http {
            url,
            auth: input.auth.into_auth()?,
        },
    };
    let fail = |message: String| TestResult {
        ok: false,
        provider,
        events: 0,
        message,
    };
    let fetched = backend
        .fetcher
        .fetch(0, &target, &Validators::default(), backend.token())
        .await;
    let body = match fetched {
        Ok(Fetched::Body { body, .. }) => body,
        Ok(Fetched::NotModified) => {
            return Ok(fail(
                "the server answered 'not modified' to a first request".into(),
            ))
        }
        Err(e) => return Ok(fail(e.to_string())),
    };
    let parsed = backend
        .tasks
        .blocking(move || ics::parse_feed(&body))
        .await
        .map_err(IpcError::internal)?;
    Ok(match parsed {
        Ok(calendar) => TestResult {
            ok: true,
            provider,
            events: calendar.events.len(),
            message: format!("{provider} calendar with {} events", calendar.events.len()),
        },
        Err(e) => fail(e.to_string()),
    })
}
