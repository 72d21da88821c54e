//! Sources: list with health, add, edit, remove, and "test connection". Add and Test run
//! the same probe ([`probe`]: one read and parse, the refresh's own), so a location that
//! does not answer with a calendar is refused before it is stored, unless the user says
//! "add anyway". Locations shown are `scheme://host` only: feed URLs are
//! credentials. Locations typed or chosen in the window go through `window_policy` first
//! (files under home only, no local network); the command line's are the user's own.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::backend::Backend;
use crate::cache::{self, SourceHealth, SourceStatus};
use crate::ctx::Ctx;
use crate::fetch::breaker::CircuitState;
use crate::fetch::{ErrorKind, FetchError};
use crate::secrets::StoreKind;
use crate::settings::Settings;
use crate::sources::{
    self, provider_name, Auth, AuthKind, Location, NewSource, Source, SourceKind, SourceUpdate,
};
use crate::window_policy::{self, ChosenFiles};
use crate::{probe, refresh};

use super::error::{ApiError, ApiResult, Code};

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
    /// What the agenda leaves out of this calendar, in words (too many occurrences).
    pub cut: Option<String>,
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
            cut: h.cut.clone(),
        }),
    }
}

/// Every source's health from the cache, as `status`, Diagnostics and the tray read it.
pub async fn health(ctx: &Ctx) -> ApiResult<Vec<SourceHealth>> {
    let settings = Settings::load(ctx.pool()).await?;
    Ok(cache::health(ctx.pool(), ctx.clock().now(), &settings).await?)
}

/// Every source with its health, as the Sources and Diagnostics pages show them.
pub async fn views(ctx: &Ctx) -> ApiResult<Vec<SourceView>> {
    let health = health(ctx).await?;
    let list = sources::list(ctx.pool()).await?;
    Ok(list
        .into_iter()
        .map(|s| {
            let h = health.iter().find(|h| h.source_id == s.id);
            view(s, h)
        })
        .collect())
}

/// The configured sources.
pub async fn list(ctx: &Ctx) -> ApiResult<Vec<Source>> {
    Ok(sources::list(ctx.pool()).await?)
}

/// Adds a source (its credentials go to the secrets store); the running app fetches it.
/// The location must first answer with a calendar ([`probe`]), unless `add_anyway`;
/// without a name of the user's it is called as the feed calls itself (X-WR-CALNAME).
/// This is the command line's add: the probe goes through a client of its own.
pub async fn add(ctx: &Ctx, new: NewSource, add_anyway: bool) -> ApiResult<Source> {
    let location = sources::check_new(&new)?;
    // A file that is missing, a folder, a device or a FIFO is refused now, not at the
    // first refresh, and never added anyway: there is nothing to read (the window's
    // path is checked by `window_policy` instead, which applies the same rule).
    if let Location::File(path) = &location {
        sources::check_calendar_file(path)?;
    }
    let feed_name = if add_anyway {
        None
    } else {
        let settings = Settings::load(ctx.pool()).await?;
        let fetcher = probe::fetcher(&settings).map_err(ApiError::internal)?;
        let cancel = CancellationToken::new();
        let probed = probe::probe(
            &fetcher,
            &refresh::default_parser(),
            &location,
            &new.auth,
            &cancel,
        )
        .await;
        probed.map_err(|e| refusal(&e, &location, false))?.name
    };
    add_probed(ctx, new, feed_name).await
}

/// Stores a source whose location was probed (or is added anyway).
async fn add_probed(ctx: &Ctx, new: NewSource, feed_name: Option<String>) -> ApiResult<Source> {
    let source = sources::add_named(ctx.pool(), ctx.secrets(), new, feed_name).await?;
    ctx.source_added();
    Ok(source)
}

/// The refusal of a location that did not answer with a calendar, in one line. Its
/// code says whose fault it is: the location or the credentials (fix the input:
/// exit 2) or the server or the network (may pass later: exit 1); the window offers
/// "Add anyway" for all three ([`ADD_ANYWAY_CODES`]). A file's error from the window
/// is the policy's one answer, which tells nothing about other paths.
fn refusal(e: &FetchError, location: &Location, from_window: bool) -> ApiError {
    let message = match (&e.kind, location) {
        (ErrorKind::File(_), _) if from_window => window_policy::FILE_REFUSED.to_string(),
        (_, Location::File(_)) => format!("the file is not a calendar ({e})"),
        (_, Location::Url { .. }) => format!("the address did not answer with a calendar ({e})"),
    };
    let code = match e.kind {
        ErrorKind::Status(401 | 403) => Code::Unauthorized,
        _ if probe::is_wrong_input(e) => Code::NotACalendar,
        _ => Code::FetchFailed,
    };
    ApiError::new(code, message)
}

/// The codes of a refusal the user may override with "Add anyway" (`--add-anyway`).
pub const ADD_ANYWAY_CODES: [Code; 3] = [Code::NotACalendar, Code::Unauthorized, Code::FetchFailed];

/// Removes the source `id_or_name` and its credentials; returns what was removed.
pub async fn remove(ctx: &Ctx, id_or_name: &str) -> ApiResult<Source> {
    let source = sources::find(ctx.pool(), id_or_name).await?;
    remove_id(ctx, source.id).await?;
    Ok(source)
}

/// Removes the source `id` and its credentials.
pub async fn remove_id(ctx: &Ctx, id: i64) -> ApiResult<()> {
    sources::remove(ctx.pool(), ctx.secrets(), id).await?;
    ctx.data_changed();
    Ok(())
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
    /// Add it even though it did not answer with a calendar (the "Add anyway" button).
    pub add_anyway: Option<bool>,
    /// The token of a file picked with "Choose file…" (`choose_source_file`): then that
    /// file is used and `location` is only what the form shows.
    pub chosen: Option<String>,
}

/// A file picked in the file chooser, as the form shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ChosenFile {
    /// What the page sends back in [`SourceInput::chosen`].
    pub token: String,
    /// The path, for the address field.
    pub location: String,
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
    fn into_auth(self) -> ApiResult<Auth> {
        let missing = |what: &str| ApiError::new(Code::InvalidValue, format!("{what} is required"));
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

/// Applies the window's rules to a location typed or chosen there; `home` is the
/// folder typed local calendars must be under, `chosen` the files picked in the chooser.
async fn checked_location(
    backend: &Backend,
    home: &Path,
    chosen: &ChosenFiles,
    input: &SourceInput,
) -> ApiResult<Location> {
    let settings = Settings::load(backend.pool()).await?;
    let home: PathBuf = home.to_path_buf();
    let picked = match &input.chosen {
        Some(token) => Some(chosen.path(token)?),
        None => None,
    };
    let typed = input.location.clone();
    // Reads the file system (canonicalize, metadata): on the blocking pool.
    backend
        .tasks()
        .blocking(move || match picked {
            Some(path) => window_policy::check_chosen_file(&path),
            None => window_policy::check_location(&typed, &home, settings.allow_local_network),
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// Remembers a file the chooser returned and checks it as Add will.
pub async fn chosen_file(
    backend: &Backend,
    chosen: &ChosenFiles,
    path: PathBuf,
) -> ApiResult<ChosenFile> {
    let checked = backend
        .tasks()
        .blocking(move || window_policy::check_chosen_file(&path))
        .await
        .map_err(ApiError::internal)??;
    let Location::File(real) = checked else {
        return Err(ApiError::internal("the chooser returned an address"));
    };
    Ok(ChosenFile {
        location: real.to_string_lossy().into_owned(),
        token: chosen.remember(real),
    })
}

/// Adds a source from the window's form: the window's rules first, then the probe
/// through the app's own client (unless the user chose "Add anyway").
pub async fn add_from_window(
    backend: &Backend,
    home: &Path,
    chosen: &ChosenFiles,
    input: SourceInput,
) -> ApiResult<SourceView> {
    let checked = checked_location(backend, home, chosen, &input).await?;
    add_checked_location(backend, checked, input).await
}

/// Adds a location the window's rules (or the file chooser) let through.
async fn add_checked_location(
    backend: &Backend,
    checked: Location,
    input: SourceInput,
) -> ApiResult<SourceView> {
    let new = NewSource {
        location: match &checked {
            // The canonical path: what was checked is what is stored.
            Location::File(path) => path.to_string_lossy().into_owned(),
            Location::Url { .. } => input.location,
        },
        name: blank_to_none(input.name),
        color: blank_to_none(input.color),
        auth: input.auth.unwrap_or_default().into_auth()?,
        interval_minutes: None,
        muted: false,
        lead_minutes: None,
    };
    // A bad colour is refused before the location is fetched.
    sources::check_new(&new)?;
    let feed_name = if input.add_anyway.unwrap_or(false) {
        None
    } else {
        match probe_location(backend, &checked, &new.auth).await? {
            Ok(probed) => probed.name,
            Err(e) => return Err(refusal(&e, &checked, true)),
        }
    };
    Ok(view(add_probed(backend.ctx(), new, feed_name).await?, None))
}

/// The probe through the running app's client, cancelled at shutdown.
async fn probe_location(
    backend: &Backend,
    location: &Location,
    auth: &Auth,
) -> ApiResult<Result<probe::Probed, FetchError>> {
    let settings = Settings::load(backend.pool()).await?;
    // Settings changed since the last refresh (the size cap) apply to this read too.
    backend.fetcher().apply_settings(&settings);
    Ok(probe::probe(
        backend.fetcher(),
        &refresh::default_parser(),
        location,
        auth,
        backend.token(),
    )
    .await)
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

/// Changes the fields of source `id` the patch names.
pub async fn update(ctx: &Ctx, id: i64, patch: SourcePatch) -> ApiResult<SourceView> {
    if patch.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::new(Code::InvalidValue, "a calendar needs a name"));
    }
    let update = SourceUpdate {
        name: patch.name.map(|n| n.trim().to_string()),
        color: patch.color.map(|c| blank_to_none(Some(c))),
        enabled: patch.enabled,
        interval_minutes: patch.interval_minutes.map(Some),
        muted: patch.muted,
        lead_minutes: patch.lead_minutes,
    };
    let source = sources::update(ctx.pool(), id, update).await?;
    ctx.data_changed();
    Ok(view(source, None))
}

/// What "Test connection" found: the probe that Add runs, nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConnectionTest {
    pub ok: bool,
    pub provider: String,
    pub events: usize,
    pub message: String,
    /// The feed's own name (X-WR-CALNAME): the name Add gives it when none is typed.
    pub name: Option<String>,
    /// The test failed in a way "Add anyway" may override (the location answered
    /// badly or not at all), not a location the window refuses.
    pub add_anyway: bool,
}

/// "Test connection" from the window. A location the window may not use is a failed
/// test with the policy's words (one message for every path refused).
pub async fn test_from_window(
    backend: &Backend,
    home: &Path,
    chosen: &ChosenFiles,
    input: SourceInput,
) -> ApiResult<ConnectionTest> {
    let location = match checked_location(backend, home, chosen, &input).await {
        Ok(location) => location,
        Err(e) if matches!(e.code, Code::InvalidLocation | Code::LocalNetwork) => {
            return Ok(ConnectionTest {
                ok: false,
                provider: String::new(),
                events: 0,
                message: e.message,
                name: None,
                add_anyway: false,
            })
        }
        Err(e) => return Err(e),
    };
    let auth = input.auth.unwrap_or_default().into_auth()?;
    test(backend, location, auth).await
}

/// Runs the probe Add runs on `location` through the app's shared client and its
/// policies (redirects, size cap, timeouts), storing nothing. File errors all read the
/// same (see [`window_policy`]: the window must not learn which paths exist).
pub async fn test(backend: &Backend, location: Location, auth: Auth) -> ApiResult<ConnectionTest> {
    let provider = provider_name(&location).to_string();
    Ok(match probe_location(backend, &location, &auth).await? {
        Ok(probed) => ConnectionTest {
            ok: true,
            message: format!("{provider} calendar with {} events", probed.events),
            events: probed.events,
            provider,
            name: probed.name,
            add_anyway: false,
        },
        Err(e) => ConnectionTest {
            ok: false,
            provider,
            events: 0,
            message: match e.kind {
                ErrorKind::File(_) => window_policy::FILE_REFUSED.into(),
                _ => e.to_string(),
            },
            name: None,
            add_anyway: e.kind != ErrorKind::Cancelled,
        },
    })
}
