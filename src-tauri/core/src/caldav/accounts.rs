//! Adding, listing and removing CalDAV accounts.
//!
//! Adding discovers the account's calendars and makes one source per chosen calendar
//! through [`sources::add`] (its collection URL and the account's credentials become
//! that source's secrets, in the keyring or the 0600 file), with the calendar's name,
//! its colour and a 5-minute refresh interval (a sync that finds nothing costs one
//! small request). Removing an account removes its sources, their cached events and
//! their credentials.

use serde::Serialize;
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

use super::discover::{self, DiscoveredCalendar};
use super::http::DavClient;
use super::store::{self, Account, CalendarState};
use super::CaldavError;
use crate::secrets::SecretStore;
use crate::sources::{self, Auth, NewSource, Source, SourceError};

/// The refresh interval of CalDAV calendars, in minutes.
pub const DEFAULT_INTERVAL_MINUTES: i64 = 5;

/// An account to add.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// A server address, or an e-mail address on a known provider.
    pub address: String,
    /// Basic (user + app password) or Bearer.
    pub auth: Auth,
    /// Calendars to add, by display name or the last segment of their path
    /// (case-insensitive); `None` adds them all.
    pub calendars: Option<Vec<String>>,
}

/// A calendar of an account with its source.
#[derive(Debug, Clone, Serialize)]
pub struct AccountCalendar {
    pub source: Source,
    #[serde(flatten)]
    pub state: CalendarState,
}

/// An account with its calendars, as `accounts list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    pub account: Account,
    pub kind: &'static str,
    pub calendars: Vec<AccountCalendar>,
}

fn user_of(auth: &Auth) -> (&'static str, String) {
    match auth {
        Auth::Basic { user, .. } => ("basic", user.clone()),
        Auth::Bearer { .. } => ("bearer", String::new()),
        _ => ("basic", String::new()),
    }
}

/// A calendar the user may pick, as the window lists it before anything is stored.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CalendarChoice {
    /// The collection's path: what the window sends back to add exactly this one.
    pub href: String,
    pub name: String,
    /// `#RRGGBB`, from the server's `calendar-color`.
    pub color: Option<String>,
    /// Already a source of this account (adding it again does nothing).
    pub added: bool,
}

/// What "Test" in the window's Add account form shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AccountPreview {
    /// "Nextcloud", "Fastmail", "iCloud" or "CalDAV".
    pub provider: String,
    /// `scheme://host[:port]` of the calendar home.
    pub server: String,
    pub calendars: Vec<CalendarChoice>,
}

/// Discovers an account's calendars without storing anything, marking the ones an
/// account of the same user on the same server already has.
pub async fn preview(
    pool: &SqlitePool,
    client: &DavClient,
    address: &str,
    auth: &Auth,
    cancel: &CancellationToken,
) -> Result<AccountPreview, CaldavError> {
    let found = discover::discover(client, address, cancel).await?;
    let name = account_name(auth, &found.server);
    let have = match store::accounts(pool)
        .await?
        .into_iter()
        .find(|a| a.name == name)
    {
        Some(a) => store::calendars_of(pool, a.id).await?,
        None => Vec::new(),
    };
    Ok(AccountPreview {
        provider: found.provider.to_string(),
        server: found.server.clone(),
        calendars: found
            .calendars
            .into_iter()
            .map(|c| CalendarChoice {
                added: have.iter().any(|h| h.href == c.href),
                href: c.href,
                name: c.name,
                color: c.color,
            })
            .collect(),
    })
}

/// `user@host[:port]` (or the server alone for a bearer token): one account per user
/// and server, so adding the same account again adds to it.
fn account_name(auth: &Auth, server: &str) -> String {
    let (_, user) = user_of(auth);
    if user.is_empty() {
        server.to_string()
    } else {
        format!("{user}@{}", server.split("://").nth(1).unwrap_or(server))
    }
}

/// A calendar is named by its display name, the last segment of its path, or its
/// whole path (what the window sends).
fn matches_name(c: &DiscoveredCalendar, wanted: &str) -> bool {
    let w = wanted.trim();
    if c.href == w {
        return true;
    }
    let segment = c
        .href
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    c.name.eq_ignore_ascii_case(w) || segment.eq_ignore_ascii_case(w)
}

/// Discovers the account and adds its calendars. Calendars already added for the
/// same account are skipped; returns the account with the calendars added now.
pub async fn add(
    pool: &SqlitePool,
    secrets: &SecretStore,
    client: &DavClient,
    new: NewAccount,
    cancel: &CancellationToken,
) -> Result<AccountView, CaldavError> {
    let found = discover::discover(client, &new.address, cancel).await?;
    let chosen: Vec<DiscoveredCalendar> = match &new.calendars {
        None => found.calendars.clone(),
        Some(names) => {
            let mut out = Vec::new();
            for n in names.iter().filter(|n| !n.trim().is_empty()) {
                match found.calendars.iter().find(|c| matches_name(c, n)) {
                    Some(c) if !out.contains(c) => out.push(c.clone()),
                    Some(_) => {}
                    None => {
                        return Err(CaldavError::UnknownCalendar {
                            host: found.server.clone(),
                            wanted: n.trim().to_string(),
                            available: found
                                .calendars
                                .iter()
                                .map(|c| c.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        })
                    }
                }
            }
            out
        }
    };
    let (auth_kind, user) = user_of(&new.auth);
    let account_name = account_name(&new.auth, &found.server);
    let existing = store::accounts(pool)
        .await?
        .into_iter()
        .find(|a| a.name == account_name);
    let account = match existing {
        Some(a) => a,
        None => {
            let id = store::insert_account(
                pool,
                &account_name,
                &found.server,
                found.provider,
                &user,
                auth_kind,
            )
            .await?;
            store::accounts(pool)
                .await?
                .into_iter()
                .find(|a| a.id == id)
                .ok_or_else(|| CaldavError::NoAccount(id.to_string()))?
        }
    };
    let have = store::calendars_of(pool, account.id).await?;
    let mut added = Vec::new();
    for cal in chosen {
        if have.iter().any(|h| h.href == cal.href) {
            continue;
        }
        let source = add_source(pool, secrets, &cal, &new.auth, &account).await?;
        let state = CalendarState {
            source_id: source.id,
            account_id: account.id,
            href: cal.href.clone(),
            display_name: cal.name.clone(),
            color: cal.color.clone(),
            supports_sync: cal.supports_sync,
            sync_token: None,
            ctag: None,
            last_sync: None,
        };
        if let Err(e) = store::insert_calendar(pool, &state).await {
            // No source without its CalDAV row: the scheduler would GET it as a feed.
            let _ = sources::remove(pool, secrets, source.id).await;
            return Err(e.into());
        }
        tracing::info!(source_id = source.id, host = %found.server, "caldav calendar added");
        added.push(AccountCalendar { source, state });
    }
    Ok(AccountView {
        account,
        kind: "caldav",
        calendars: added,
    })
}

/// One source for a calendar, named after it ("Work", or "Work (alice@host)" when a
/// source of that name exists).
async fn add_source(
    pool: &SqlitePool,
    secrets: &SecretStore,
    cal: &DiscoveredCalendar,
    auth: &Auth,
    account: &Account,
) -> Result<Source, CaldavError> {
    let mut name = cal.name.clone();
    for second in [false, true] {
        let new = NewSource {
            location: cal.url.to_string(),
            name: Some(name.clone()),
            color: cal.color.clone(),
            auth: auth.clone(),
            interval_minutes: Some(DEFAULT_INTERVAL_MINUTES),
            muted: false,
            lead_minutes: None,
        };
        match sources::add(pool, secrets, new).await {
            Ok(s) => return Ok(s),
            Err(SourceError::DuplicateName(_)) if !second => {
                name = format!("{} ({})", cal.name, account.name);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(SourceError::DuplicateName(name).into())
}

/// Every account with its calendars.
pub async fn list(pool: &SqlitePool) -> Result<Vec<AccountView>, CaldavError> {
    let mut out = Vec::new();
    for account in store::accounts(pool).await? {
        let mut calendars = Vec::new();
        for state in store::calendars_of(pool, account.id).await? {
            let source = sources::get(pool, state.source_id).await?;
            calendars.push(AccountCalendar { source, state });
        }
        out.push(AccountView {
            account,
            kind: "caldav",
            calendars,
        });
    }
    Ok(out)
}

/// Finds an account by id (digits) or exact name.
pub async fn find(pool: &SqlitePool, id_or_name: &str) -> Result<Account, CaldavError> {
    let by_id = id_or_name.parse::<i64>().ok();
    store::accounts(pool)
        .await?
        .into_iter()
        .find(|a| Some(a.id) == by_id || a.name == id_or_name)
        .ok_or_else(|| CaldavError::NoAccount(id_or_name.to_string()))
}

/// Removes an account: its sources (with their events and credentials), then itself.
pub async fn remove(
    pool: &SqlitePool,
    secrets: &SecretStore,
    account: &Account,
) -> Result<Vec<i64>, CaldavError> {
    let mut removed = Vec::new();
    for c in store::calendars_of(pool, account.id).await? {
        match sources::remove(pool, secrets, c.source_id).await {
            Ok(()) | Err(SourceError::NotFound(_)) => removed.push(c.source_id),
            Err(e) => return Err(e.into()),
        }
    }
    store::delete_account(pool, account.id).await?;
    tracing::info!(account_id = account.id, "caldav account removed");
    Ok(removed)
}
