//! CalDAV account commands for the window's "Add account" form: `discover_account`
//! lists an account's calendars (nothing stored), `add_account` adds the ones the user
//! ticked, one source each, and starts their first sync. The address goes through
//! `window_policy` first (no server on this computer or the local network unless
//! `fetch.allow_local_network` is on); the password is sent once and stored like a
//! feed's credentials.

use serde::Deserialize;
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;

use calendarbot_core::caldav::accounts::{self, AccountPreview, NewAccount};
use calendarbot_core::caldav::http::DavClient;
use calendarbot_core::caldav::CaldavError;
use calendarbot_core::settings::Settings;
use calendarbot_core::sources::Auth;
use calendarbot_core::window_policy;

use super::error::{CmdResult, IpcError};
use super::sources::{source_views, SourceView};
use crate::events;
use crate::state::AppState;

impl From<CaldavError> for IpcError {
    fn from(e: CaldavError) -> Self {
        match e {
            CaldavError::Unauthorized { .. } => IpcError::new("unauthorized", e.to_string()),
            CaldavError::Address(_)
            | CaldavError::NotFound { .. }
            | CaldavError::NoCalendars { .. }
            | CaldavError::UnknownCalendar { .. } => {
                IpcError::new("invalid_location", e.to_string())
            }
            CaldavError::Fetch { .. } => IpcError::new("fetch_failed", e.to_string()),
            CaldavError::Sources(e) => e.into(),
            other => IpcError::internal(other),
        }
    }
}

/// What the Add account form sends: a server address (or an e-mail address on a known
/// provider), a user name and an app password.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AccountInput {
    pub address: String,
    pub user: String,
    pub password: String,
}

/// The client of the account the form describes, after the window's address rule.
async fn client_for(state: &AppState, input: &AccountInput) -> CmdResult<(DavClient, Auth)> {
    let backend = &state.backend;
    let settings = Settings::load(&backend.pool).await?;
    window_policy::check_account_address(&input.address, settings.allow_local_network)?;
    if input.user.trim().is_empty() || input.password.is_empty() {
        return Err(IpcError::new(
            "invalid_value",
            "enter the user name and the app password",
        ));
    }
    let auth = Auth::Basic {
        user: input.user.trim().to_string(),
        password: input.password.clone(),
    };
    let client =
        DavClient::from_fetcher(&backend.fetcher, settings.allow_local_network, auth.clone())
            .map_err(IpcError::internal)?;
    Ok((client, auth))
}

#[tauri::command]
pub async fn discover_account(
    state: State<'_, AppState>,
    input: AccountInput,
) -> CmdResult<AccountPreview> {
    let (client, auth) = client_for(&state, &input).await?;
    let cancel = state.backend.token().child_token();
    Ok(accounts::preview(&state.backend.pool, &client, &input.address, &auth, &cancel).await?)
}

/// Adds the calendars named by `calendars` (their `href`s from `discover_account`) and
/// returns their sources.
#[tauri::command]
pub async fn add_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: AccountInput,
    calendars: Vec<String>,
) -> CmdResult<Vec<SourceView>> {
    if calendars.is_empty() {
        return Err(IpcError::new(
            "invalid_value",
            "tick at least one calendar to add",
        ));
    }
    let (client, auth) = client_for(&state, &input).await?;
    let backend = &state.backend;
    let cancel = backend.token().child_token();
    let new = NewAccount {
        address: input.address.clone(),
        auth,
        calendars: Some(calendars),
    };
    let view = accounts::add(&backend.pool, &backend.secrets, &client, new, &cancel).await?;
    backend.notify_changed();
    backend.refresh_now();
    let _ = app.emit(events::SOURCES_CHANGED, ());
    let added: Vec<i64> = view.calendars.iter().map(|c| c.source.id).collect();
    Ok(source_views(backend)
        .await?
        .into_iter()
        .filter(|s| added.contains(&s.id))
        .collect())
}
