//! CalDAV accounts from the window's "Add account" form: list an account's calendars
//! (nothing stored), then add the ones the user ticked, one source each. The address
//! goes through `window_policy` first (no server on this computer or the local network
//! unless `fetch.allow_local_network` is on); the password is sent with each call and
//! stored like a feed's credentials. The command line's `accounts` commands call
//! [`caldav::accounts`] directly, since the user's own server may be on loopback there.

use serde::Deserialize;
use ts_rs::TS;

use super::error::{ApiError, ApiResult, Code};
use super::sources::{views, SourceView};
use crate::backend::Backend;
use crate::caldav::accounts::{self, AccountPreview, NewAccount};
use crate::caldav::http::DavClient;
use crate::caldav::CaldavError;
use crate::settings::Settings;
use crate::sources::Auth;
use crate::window_policy;

impl From<CaldavError> for ApiError {
    fn from(e: CaldavError) -> Self {
        let code = match &e {
            CaldavError::Unauthorized { .. } => Code::Unauthorized,
            CaldavError::Address(_)
            | CaldavError::NotFound { .. }
            | CaldavError::NoCalendars { .. }
            | CaldavError::UnknownCalendar { .. } => Code::InvalidLocation,
            CaldavError::NoAccount(_) | CaldavError::NotCaldav(_) => Code::NotFound,
            CaldavError::Fetch { .. } => Code::FetchFailed,
            CaldavError::Sources(s) => return ApiError::from_source(s, e.to_string()),
            _ => Code::Internal,
        };
        Self::new(code, e.to_string())
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

/// The account's client, after the window's address rule.
async fn client_for(backend: &Backend, input: &AccountInput) -> ApiResult<(DavClient, Auth)> {
    let settings = Settings::load(backend.pool()).await?;
    window_policy::check_account_address(&input.address, settings.allow_local_network)?;
    if input.user.trim().is_empty() || input.password.is_empty() {
        return Err(ApiError::new(
            Code::InvalidValue,
            "enter the user name and the app password",
        ));
    }
    let auth = Auth::Basic {
        user: input.user.trim().to_string(),
        password: input.password.clone(),
    };
    let client = DavClient::from_fetcher(
        backend.fetcher(),
        settings.allow_local_network,
        auth.clone(),
    )
    .map_err(ApiError::internal)?;
    Ok((client, auth))
}

/// The account's calendars with their names and colours, marking those already added.
pub async fn discover_from_window(
    backend: &Backend,
    input: AccountInput,
) -> ApiResult<AccountPreview> {
    let (client, auth) = client_for(backend, &input).await?;
    let cancel = backend.token().child_token();
    Ok(accounts::preview(backend.pool(), &client, &input.address, &auth, &cancel).await?)
}

/// Adds the calendars `calendars` (their `href`s from [`discover_from_window`]) and
/// returns their sources; the running app syncs them at once.
pub async fn add_from_window(
    backend: &Backend,
    input: AccountInput,
    calendars: Vec<String>,
) -> ApiResult<Vec<SourceView>> {
    if calendars.is_empty() {
        return Err(ApiError::new(
            Code::InvalidValue,
            "tick at least one calendar to add",
        ));
    }
    let (client, auth) = client_for(backend, &input).await?;
    let cancel = backend.token().child_token();
    let new = NewAccount {
        address: input.address,
        auth,
        calendars: Some(calendars),
    };
    let view = accounts::add(
        backend.pool(),
        backend.ctx().secrets(),
        &client,
        new,
        &cancel,
    )
    .await?;
    backend.ctx().source_added();
    let added: Vec<i64> = view.calendars.iter().map(|c| c.source.id).collect();
    Ok(views(backend.ctx())
        .await?
        .into_iter()
        .filter(|s| added.contains(&s.id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One classification for both faces: the window's code and the command line's exit
    /// code come from the same `ApiError`.
    #[test]
    fn caldav_errors_are_classified_once_for_the_window_and_the_command_line() {
        let host = || "dav.example".to_string();
        let cases = [
            (
                CaldavError::Unauthorized { host: host() },
                Code::Unauthorized,
                1,
            ),
            (
                CaldavError::NotFound {
                    host: host(),
                    tried: "/.well-known/caldav".into(),
                },
                Code::InvalidLocation,
                2,
            ),
            (
                CaldavError::NoCalendars { host: host() },
                Code::InvalidLocation,
                2,
            ),
            (CaldavError::NoAccount("work".into()), Code::NotFound, 2),
            (CaldavError::NotCaldav(3), Code::NotFound, 2),
            (CaldavError::Db(sqlx::Error::PoolClosed), Code::Internal, 1),
        ];
        for (error, code, exit) in cases {
            let text = error.to_string();
            let api = ApiError::from(error);
            assert_eq!((api.code, api.exit_code()), (code, exit), "{text}");
        }
    }
}
