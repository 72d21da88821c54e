//! CalDAV accounts: Nextcloud, Fastmail, iCloud, Radicale, Xandikos, any CalDAV server.
//!
//! Read-only. An account is a server, a user and an app password (or a bearer token);
//! each of its calendars becomes a source whose events land in the same cache the
//! agenda, the tray and the reminders read ([`crate::cache`]).
//!
//! - [`presets`]: from an address or an e-mail-like user to where discovery starts.
//! - [`http`]: the WebDAV client (the feeds' timeouts, size cap and redirect policy).
//! - [`xml`]: request bodies and the `207 Multi-Status` reader.
//! - [`discover`]: RFC 6764: `/.well-known/caldav` → `current-user-principal` →
//!   `calendar-home-set` → the calendars (name, colour, components, ctag, sync support).
//! - [`store`]: the tables of migration 0008 (accounts, per-calendar sync state,
//!   per-resource ETags and parsed data).
//! - [`sync`]: RFC 6578 `sync-collection` with the stored token, or getctag + ETags
//!   where a server lacks it; only what changed is fetched (`calendar-multiget`) and a
//!   calendar's changes are applied in one `BEGIN IMMEDIATE` transaction.
//! - [`accounts`]: add (discover + one source per calendar), list, remove.
//!
//! Credentials live in the secrets store with the source, like a feed's; nothing here
//! logs more than a host.

pub mod accounts;
pub mod discover;
pub mod http;
pub mod presets;
pub mod store;
pub mod sync;
pub mod xml;

use crate::cache::CacheError;
use crate::fetch::{ErrorKind, FetchError};
use crate::secrets::SecretsError;
use crate::sources::SourceError;

/// Why an account could not be added, listed or synced, in words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaldavError {
    #[error(transparent)]
    Address(#[from] presets::AddressError),
    /// 401 from the server: the words name the host, never the password.
    #[error("the server {host} refused the user name or password (401 unauthorized)")]
    Unauthorized { host: String },
    #[error("{host}: {error}")]
    Fetch { host: String, error: FetchError },
    #[error("no CalDAV server found at {host} (tried {tried})")]
    NotFound { host: String, tried: String },
    #[error("{host} has no calendar with events")]
    NoCalendars { host: String },
    #[error("no calendar named {wanted} on {host} (it has: {available})")]
    UnknownCalendar {
        host: String,
        wanted: String,
        available: String,
    },
    #[error("no account with id or name '{0}'")]
    NoAccount(String),
    #[error("source {0} is not a CalDAV calendar")]
    NotCaldav(i64),
    #[error(transparent)]
    Sources(#[from] SourceError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("data could not be encoded: {0}")]
    Json(#[from] serde_json::Error),
}

impl CaldavError {
    /// A fetch error seen while talking to `host`, with a 401 named for what it is.
    pub fn from_fetch(host: &str, error: FetchError) -> Self {
        match error.kind {
            ErrorKind::Status(401) => CaldavError::Unauthorized { host: host.into() },
            _ => CaldavError::Fetch {
                host: host.into(),
                error,
            },
        }
    }
}
