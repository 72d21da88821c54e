//! Configured calendar sources: add, list, update, remove.
//!
//! A source is an http(s) URL, a `webcal://` URL (fetched as `https://`, per the
//! de-facto convention of every calendar client) or a local `.ics` file. Its name,
//! kind, colour, enabled flag, auth kind and interval live in the `sources` table; the
//! URL itself and any password, token or header live in the [`SecretStore`] (a Google
//! "secret address" is a credential). The table keeps only `scheme://host[:port]` for
//! display and logs.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqlitePool};
use url::Url;

use crate::db;
use crate::secrets::{SecretStore, SecretsError, StoreKind};

/// How a source is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Http,
    /// Given as `webcal://`; fetched as `https://`.
    Webcal,
    File,
    /// A calendar of a CalDAV account (`caldav::accounts`): stored as an http source
    /// whose collection URL is its secret, with a `caldav_calendars` row that makes
    /// the refresh pipeline sync it over WebDAV instead of GETting it.
    Caldav,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Http => "http",
            SourceKind::Webcal => "webcal",
            SourceKind::File => "file",
            SourceKind::Caldav => "caldav",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "webcal" => SourceKind::Webcal,
            "file" => SourceKind::File,
            "caldav" => SourceKind::Caldav,
            _ => SourceKind::Http,
        }
    }
}

/// The kind of authentication, without the secret parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    None,
    Basic,
    Bearer,
    Headers,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::Basic => "basic",
            AuthKind::Bearer => "bearer",
            AuthKind::Headers => "headers",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "basic" => AuthKind::Basic,
            "bearer" => AuthKind::Bearer,
            "headers" => AuthKind::Headers,
            _ => AuthKind::None,
        }
    }
}

/// Authentication with its secrets. `Debug` hides the secret values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Auth {
    #[default]
    None,
    Basic {
        user: String,
        password: String,
    },
    Bearer {
        token: String,
    },
    /// Extra request headers (`Name: value`), e.g. an API key.
    Headers {
        headers: Vec<(String, String)>,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Basic { user, .. } => {
                write!(f, "Auth::Basic {{ user: {user:?}, password: *** }}")
            }
            Auth::Bearer { .. } => f.write_str("Auth::Bearer { token: *** }"),
            Auth::Headers { headers } => {
                let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
                write!(f, "Auth::Headers {{ names: {names:?} }}")
            }
        }
    }
}

impl Auth {
    pub fn kind(&self) -> AuthKind {
        match self {
            Auth::None => AuthKind::None,
            Auth::Basic { .. } => AuthKind::Basic,
            Auth::Bearer { .. } => AuthKind::Bearer,
            Auth::Headers { .. } => AuthKind::Headers,
        }
    }
}

/// A configured source as listed to the user (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
    /// `scheme://host[:port]` for URLs (safe to show and log), the path for files.
    pub display: String,
    pub color: Option<String>,
    pub enabled: bool,
    pub auth: AuthKind,
    /// Per-source refresh interval; `None` uses `refresh.interval_minutes`.
    pub interval_minutes: Option<i64>,
    /// No reminders for this calendar's events.
    pub muted: bool,
    /// Minutes before its events to remind; `None` uses `notify.lead_minutes`.
    pub lead_minutes: Option<i64>,
    /// Where this source's secrets are kept (`None` for files without auth).
    pub secret_store: Option<StoreKind>,
}

/// What the fetcher needs: where to go and how to authenticate.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    Http { url: Url, auth: Auth },
    File { path: PathBuf },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Http { url, auth } => write!(f, "Http({}, {auth:?})", display_of(url)),
            Target::File { path } => write!(f, "File({})", path.display()),
        }
    }
}

/// A source with its target resolved from the secrets store.
#[derive(Debug, Clone)]
pub struct ResolvedSource {
    pub source: Source,
    pub target: Target,
}

/// A source to add.
#[derive(Debug, Clone, Default)]
pub struct NewSource {
    /// An http(s) or webcal URL, a `file://` URL, or a path to a local file.
    pub location: String,
    /// Defaults to the URL's host or the file's name.
    pub name: Option<String>,
    pub color: Option<String>,
    pub auth: Auth,
    pub interval_minutes: Option<i64>,
    pub muted: bool,
    pub lead_minutes: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("not a feed address or file: {0}")]
    InvalidLocation(String),
    #[error("invalid colour '{0}' (expected #RRGGBB)")]
    InvalidColor(String),
    #[error("invalid refresh interval (1 to 10080 minutes)")]
    InvalidInterval,
    #[error("invalid reminder lead time (0 to 1440 minutes)")]
    InvalidLead,
    #[error("a source named '{0}' already exists")]
    DuplicateName(String),
    #[error("no source with id or name '{0}'")]
    NotFound(String),
    #[error("the credentials of source {0} are missing from the secrets store")]
    MissingSecret(i64),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The parsed location of a new source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Url { kind: SourceKind, url: Url },
    File(PathBuf),
}

/// Parses what the user typed. `webcal://` and `webcals://` become `https://`. Errors
/// never echo the input (it may hold a token).
pub fn parse_location(input: &str) -> Result<Location, SourceError> {
    let input = input.trim();
    let lower = input.to_ascii_lowercase();
    if let Some(rest) = lower
        .strip_prefix("webcal://")
        .or_else(|| lower.strip_prefix("webcals://"))
    {
        let _ = rest;
        let after = &input[input.find("://").map(|i| i + 3).unwrap_or(0)..];
        let url = Url::parse(&format!("https://{after}")).map_err(|_| {
            SourceError::InvalidLocation("a webcal:// address that cannot be read".into())
        })?;
        if url.host_str().is_none() {
            return Err(SourceError::InvalidLocation(
                "the address has no host".into(),
            ));
        }
        return Ok(Location::Url {
            kind: SourceKind::Webcal,
            url,
        });
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = Url::parse(input)
            .map_err(|_| SourceError::InvalidLocation("an address that cannot be read".into()))?;
        if url.host_str().is_none() {
            return Err(SourceError::InvalidLocation(
                "the address has no host".into(),
            ));
        }
        return Ok(Location::Url {
            kind: SourceKind::Http,
            url,
        });
    }
    if lower.starts_with("file://") {
        let url = Url::parse(input).map_err(|_| {
            SourceError::InvalidLocation("a file:// address that cannot be read".into())
        })?;
        let path = url.to_file_path().map_err(|_| {
            SourceError::InvalidLocation("a file:// address that is not a local path".into())
        })?;
        return Ok(Location::File(path));
    }
    if input.contains("://") {
        return Err(SourceError::InvalidLocation(
            "only http, https, webcal and file addresses are supported".into(),
        ));
    }
    if input.is_empty() {
        return Err(SourceError::InvalidLocation("empty".into()));
    }
    if let Some(host) = schemeless_host(input) {
        return Err(SourceError::InvalidLocation(format!(
            "did you mean https://{host}/…? A web address needs its https:// (or webcal://)"
        )));
    }
    let path = PathBuf::from(input);
    let path = if path.is_absolute() {
        path
    } else {
        std::env::current_dir()
            .map(|d| d.join(&path))
            .unwrap_or(path)
    };
    Ok(Location::File(path))
}

/// A local calendar must be a regular file this user can read: a missing file, a
/// folder, `/dev/zero` or a FIFO (which would block the reader) is refused when added
/// from the command line or the window, not discovered at the first refresh (a test
/// or a script may still add a file that appears later through [`add`]). Metadata
/// first: opening a FIFO would block.
pub fn check_calendar_file(path: &Path) -> Result<(), SourceError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        SourceError::InvalidLocation(match e.kind() {
            std::io::ErrorKind::NotFound => format!("there is no file {shown}"),
            _ => format!("{shown} cannot be read ({e})"),
        })
    })?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a device or a pipe)"
        };
        return Err(SourceError::InvalidLocation(format!("{shown} is {what}")));
    }
    std::fs::File::open(path)
        .map(drop)
        .map_err(|e| SourceError::InvalidLocation(format!("{shown} cannot be read ({e})")))
}

/// The host of what looks like a web address typed without its scheme
/// (`calendar.google.com/calendar/ical/…/basic.ics`): a relative path whose first
/// segment is a dotted name ending in letters and that is not a file or folder here.
fn schemeless_host(input: &str) -> Option<&str> {
    if input.starts_with(['/', '.', '~']) {
        return None;
    }
    let first = input.split('/').next()?;
    let host = first.split(':').next()?;
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last()?;
    let hostlike = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        // "feed.ics" and "work.ical" are file names, not hosts.
        && !matches!(tld.to_ascii_lowercase().as_str(), "ics" | "ical" | "ifb" | "icalendar" | "txt");
    (hostlike && !Path::new(first).exists()).then_some(host)
}

/// The calendar provider a location belongs to, recognised from its host and path
/// (for "test connection" and the Sources page).
pub fn provider_name(location: &Location) -> &'static str {
    let url = match location {
        Location::File(_) => return "local file",
        Location::Url { url, .. } => url,
    };
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let path = url.path();
    let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if under("google.com") && path.contains("/calendar/") {
        "Google Calendar"
    } else if under("office365.com") || under("outlook.office.com") || under("office.com") {
        "Microsoft 365"
    } else if under("outlook.live.com") || under("live.com") || under("hotmail.com") {
        "Outlook.com"
    } else if under("icloud.com") {
        "iCloud"
    } else if under("fastmail.com") || under("messagingengine.com") {
        "Fastmail"
    } else if path.contains("/remote.php/dav") {
        "Nextcloud"
    } else if under("proton.me") {
        "Proton Calendar"
    } else if under("zoho.com") {
        "Zoho Calendar"
    } else {
        "web"
    }
}

/// `scheme://host[:port]`: the only part of a URL that may be shown or logged.
pub fn display_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The colours given to calendars added without one, in order: distinct in light and
/// dark themes and for the common colour-vision deficiencies next to each other.
pub const PALETTE: [&str; 8] = [
    "#2563EB", "#16A34A", "#DB2777", "#EA580C", "#7C3AED", "#0891B2", "#CA8A04", "#DC2626",
];

fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

/// The key of a source added before keys were chosen at add time (migration 0005).
fn legacy_secret_key(id: i64) -> String {
    format!("source-{id}")
}

/// A fresh key for a new source's credentials: random, so it can be written to the
/// store before the row (and its id) exists.
fn new_secret_key() -> String {
    format!("source-{:016x}", rand::random::<u64>())
}

fn key_or_legacy(id: i64, key: Option<String>) -> String {
    key.unwrap_or_else(|| legacy_secret_key(id))
}

/// What is kept in the secrets store for an http source.
#[derive(Serialize, Deserialize)]
struct SecretBlob {
    url: String,
    auth: Auth,
}

fn check_lead(minutes: Option<i64>) -> Result<(), SourceError> {
    match minutes {
        Some(m) if !(0..=1440).contains(&m) => Err(SourceError::InvalidLead),
        _ => Ok(()),
    }
}

/// Checks what the user typed for a new source (location, colour, interval, lead
/// time) without touching the network or the database: a bad value is refused before
/// the location is probed.
pub fn check_new(new: &NewSource) -> Result<Location, SourceError> {
    let loc = parse_location(&new.location)?;
    if let Some(c) = &new.color {
        if !valid_color(c) {
            return Err(SourceError::InvalidColor(c.clone()));
        }
    }
    if let Some(m) = new.interval_minutes {
        if !(1..=10080).contains(&m) {
            return Err(SourceError::InvalidInterval);
        }
    }
    check_lead(new.lead_minutes)?;
    Ok(loc)
}

/// Adds a source; returns it as listed.
pub async fn add(
    pool: &SqlitePool,
    secrets: &SecretStore,
    new: NewSource,
) -> Result<Source, SourceError> {
    add_named(pool, secrets, new, None).await
}

/// Adds a source; without a name of the user's it is called `feed_name` (the feed's
/// X-WR-CALNAME, as the probe found it), else after the URL's host or the file. A
/// derived name that is taken gets a number either way.
pub async fn add_named(
    pool: &SqlitePool,
    secrets: &SecretStore,
    new: NewSource,
    feed_name: Option<String>,
) -> Result<Source, SourceError> {
    let loc = check_new(&new)?;
    let (kind, display, path) = match &loc {
        Location::Url { kind, url } => (*kind, display_of(url), None),
        Location::File(p) => (
            SourceKind::File,
            p.display().to_string(),
            Some(p.display().to_string()),
        ),
    };
    let feed_name = feed_name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let name = match new.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None if feed_name.is_some() => feed_name.unwrap_or_default(),
        None => match &loc {
            Location::Url { url, .. } => url.host_str().unwrap_or("calendar").to_string(),
            Location::File(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "calendar".into()),
        },
    };
    let needs_secret = matches!(loc, Location::Url { .. }) || new.auth != Auth::None;
    let store = needs_secret.then(|| secrets.kind());
    // The credentials are written first, on the blocking pool and outside any
    // transaction (a keyring call is synchronous D-Bus and may wait on an unlock
    // prompt); the row that names their key is then committed, or the key deleted.
    let key = if needs_secret {
        let blob = SecretBlob {
            url: match &loc {
                Location::Url { url, .. } => url.to_string(),
                Location::File(_) => String::new(),
            },
            auth: new.auth.clone(),
        };
        let json = serde_json::to_string(&blob).map_err(SecretsError::from)?;
        let key = new_secret_key();
        secrets.set_async(&key, &json).await?;
        Some(key)
    } else {
        None
    };
    let user_named = new.name.as_deref().is_some_and(|n| !n.trim().is_empty());
    let row = NewRow {
        name,
        user_named,
        kind,
        display,
        path,
        store,
        key: key.clone(),
    };
    let id = match insert(pool, &new, row).await {
        Ok(id) => id,
        Err(e) => {
            if let Some(key) = &key {
                if let Err(del) = secrets.delete_async(key).await {
                    tracing::warn!(error = %del, "credentials of a source not added are left behind");
                }
            }
            return Err(e);
        }
    };
    tracing::info!(source_id = id, kind = kind.as_str(), "source added");
    db::refresh_config_backup(pool).await;
    get(pool, id).await
}

/// The plain columns of a new source.
struct NewRow {
    name: String,
    user_named: bool,
    kind: SourceKind,
    display: String,
    path: Option<String>,
    store: Option<StoreKind>,
    key: Option<String>,
}

/// Inserts the source and its feeds row in one IMMEDIATE transaction (no other I/O
/// inside it); a derived name that is taken gets a number.
async fn insert(pool: &SqlitePool, new: &NewSource, row: NewRow) -> Result<i64, SourceError> {
    let mut tx = db::begin_immediate(pool).await?;
    let mut name = row.name;
    let base = name.clone();
    for n in 2.. {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM sources WHERE name = ?")
            .bind(&name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            break;
        }
        // A name the user typed must be unique; a derived one gets a number.
        if row.user_named || n > 1000 {
            return Err(SourceError::DuplicateName(name));
        }
        name = format!("{base} ({n})");
    }
    // A calendar added without a colour gets the next one of the palette, so every
    // calendar is told apart in the tray and the window from the start.
    let color = match &new.color {
        Some(c) => c.clone(),
        None => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sources")
                .fetch_one(&mut *tx)
                .await?;
            PALETTE[n.rem_euclid(PALETTE.len() as i64) as usize].to_string()
        }
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sources (name, kind, display, path, color, enabled, auth_kind, interval_minutes, muted, lead_minutes, secret_store, secret_key, created_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&name)
    .bind(row.kind.as_str())
    .bind(&row.display)
    .bind(&row.path)
    .bind(&color)
    .bind(new.auth.kind().as_str())
    .bind(new.interval_minutes)
    .bind(new.muted as i64)
    .bind(new.lead_minutes)
    .bind(row.store.map(StoreKind::as_str).unwrap_or("none"))
    .bind(&row.key)
    .bind(Utc::now().to_rfc3339())
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO feeds (source_id) VALUES (?)")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

fn row_to_source(row: &sqlx::sqlite::SqliteRow) -> Result<Source, sqlx::Error> {
    let store: String = row.try_get("secret_store")?;
    Ok(Source {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: SourceKind::parse(&row.try_get::<String, _>("kind")?),
        display: row.try_get("display")?,
        color: row.try_get("color")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        auth: AuthKind::parse(&row.try_get::<String, _>("auth_kind")?),
        interval_minutes: row.try_get("interval_minutes")?,
        muted: row.try_get::<i64, _>("muted")? != 0,
        lead_minutes: row.try_get("lead_minutes")?,
        secret_store: match store.as_str() {
            "keyring" => Some(StoreKind::Keyring),
            "file" => Some(StoreKind::File),
            _ => None,
        },
    })
}

/// The kind column says how a location was given (http, webcal, file); a source
/// with a CalDAV calendar row is shown as `caldav` (derived here rather than stored,
/// so the row and the kind can never disagree).
const COLUMNS: &str = "id, name, \
     CASE WHEN EXISTS (SELECT 1 FROM caldav_calendars c WHERE c.source_id = sources.id) \
          THEN 'caldav' ELSE kind END AS kind, \
     display, path, color, enabled, auth_kind, interval_minutes, \
     muted, lead_minutes, secret_store";

/// Every source, by id.
pub async fn list(pool: &SqlitePool) -> Result<Vec<Source>, SourceError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sources ORDER BY id"
    )))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(row_to_source).collect::<Result<_, _>>()?)
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<Source, SourceError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sources WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| SourceError::NotFound(id.to_string()))?;
    Ok(row_to_source(&row)?)
}

/// Finds a source by id (digits) or by exact name.
pub async fn find(pool: &SqlitePool, id_or_name: &str) -> Result<Source, SourceError> {
    let all = list(pool).await?;
    let by_id = id_or_name.parse::<i64>().ok();
    all.into_iter()
        .find(|s| Some(s.id) == by_id || s.name == id_or_name)
        .ok_or_else(|| SourceError::NotFound(id_or_name.to_string()))
}

/// Removes a source, its cached feed and events (cascade) and its credentials.
pub async fn remove(pool: &SqlitePool, secrets: &SecretStore, id: i64) -> Result<(), SourceError> {
    let mut tx = db::begin_immediate(pool).await?;
    let removed: Option<(Option<String>, String)> =
        sqlx::query_as("DELETE FROM sources WHERE id = ? RETURNING secret_key, secret_store")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((key, store)) = removed else {
        return Err(SourceError::NotFound(id.to_string()));
    };
    tx.commit().await?;
    // After the commit and outside the transaction: a source without credentials
    // must never exist, and the keyring call must not hold the write lock.
    if store != "none" {
        secrets.delete_async(&key_or_legacy(id, key)).await?;
    }
    tracing::info!(source_id = id, "source removed");
    db::refresh_config_backup(pool).await;
    Ok(())
}

/// Changes of a source's plain settings (`None` leaves a field alone).
#[derive(Debug, Clone, Default)]
pub struct SourceUpdate {
    pub name: Option<String>,
    pub color: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub interval_minutes: Option<Option<i64>>,
    pub muted: Option<bool>,
    pub lead_minutes: Option<Option<i64>>,
}

pub async fn update(pool: &SqlitePool, id: i64, up: SourceUpdate) -> Result<Source, SourceError> {
    let cur = get(pool, id).await?;
    let name = up.name.unwrap_or(cur.name);
    let color = up.color.unwrap_or(cur.color);
    if let Some(c) = &color {
        if !valid_color(c) {
            return Err(SourceError::InvalidColor(c.clone()));
        }
    }
    let interval = up.interval_minutes.unwrap_or(cur.interval_minutes);
    if interval.is_some_and(|m| !(1..=10080).contains(&m)) {
        return Err(SourceError::InvalidInterval);
    }
    let enabled = up.enabled.unwrap_or(cur.enabled);
    let muted = up.muted.unwrap_or(cur.muted);
    let lead = up.lead_minutes.unwrap_or(cur.lead_minutes);
    check_lead(lead)?;
    let mut tx = db::begin_immediate(pool).await?;
    let clash: Option<i64> =
        sqlx::query_scalar("SELECT id FROM sources WHERE name = ? AND id <> ?")
            .bind(&name)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if clash.is_some() {
        return Err(SourceError::DuplicateName(name));
    }
    sqlx::query(
        "UPDATE sources SET name = ?, color = ?, enabled = ?, interval_minutes = ?, muted = ?, \
         lead_minutes = ? WHERE id = ?",
    )
    .bind(&name)
    .bind(&color)
    .bind(enabled as i64)
    .bind(interval)
    .bind(muted as i64)
    .bind(lead)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    db::refresh_config_backup(pool).await;
    get(pool, id).await
}

/// Resolves a source's target from the secrets store.
pub async fn resolve(
    pool: &SqlitePool,
    secrets: &SecretStore,
    source: Source,
) -> Result<ResolvedSource, SourceError> {
    let (path, key): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT path, secret_key FROM sources WHERE id = ?")
            .bind(source.id)
            .fetch_one(pool)
            .await?;
    let target = match source.kind {
        SourceKind::File => Target::File {
            path: PathBuf::from(path.unwrap_or_default()),
        },
        SourceKind::Http | SourceKind::Webcal | SourceKind::Caldav => {
            let json = secrets
                .get_async(&key_or_legacy(source.id, key))
                .await?
                .ok_or(SourceError::MissingSecret(source.id))?;
            let blob: SecretBlob = serde_json::from_str(&json).map_err(SecretsError::from)?;
            let url = Url::parse(&blob.url).map_err(|_| SourceError::MissingSecret(source.id))?;
            Target::Http {
                url,
                auth: blob.auth,
            }
        }
    };
    Ok(ResolvedSource { source, target })
}

/// Every enabled source, resolved. A source whose secrets cannot be read is reported
/// in the second list instead of failing the others.
pub async fn resolve_enabled(
    pool: &SqlitePool,
    secrets: &SecretStore,
) -> Result<(Vec<ResolvedSource>, Vec<(Source, SourceError)>), SourceError> {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for s in list(pool).await?.into_iter().filter(|s| s.enabled) {
        match resolve(pool, secrets, s.clone()).await {
            Ok(r) => ok.push(r),
            Err(e) => bad.push((s, e)),
        }
    }
    Ok((ok, bad))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn webcal_becomes_https() {
        let loc = parse_location("webcal://host.example/x.ics").unwrap();
        assert_eq!(
            loc,
            Location::Url {
                kind: SourceKind::Webcal,
                url: Url::parse("https://host.example/x.ics").unwrap()
            }
        );
        let loc = parse_location("WEBCAL://Host.example:8443/a/b.ics?k=v").unwrap();
        match loc {
            Location::Url { url, .. } => {
                assert_eq!(url.as_str(), "https://host.example:8443/a/b.ics?k=v")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn locations_and_display() {
        assert!(matches!(
            parse_location("/tmp/a.ics").unwrap(),
            Location::File(_)
        ));
        assert!(matches!(
            parse_location("file:///tmp/a.ics").unwrap(),
            Location::File(_)
        ));
        assert!(parse_location("ftp://x/y").is_err());
        // A web address without its scheme is not a local path.
        let err = parse_location("calendar.google.com/calendar/ical/x%40y/private-TOKEN/basic.ics")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("did you mean https://calendar.google.com/"),
            "{err}"
        );
        assert!(!err.contains("TOKEN"), "{err}");
        assert!(matches!(
            parse_location("feed.ics").unwrap(),
            Location::File(_)
        ));
        assert!(matches!(
            parse_location("calendars/work.ics").unwrap(),
            Location::File(_)
        ));
        let err = parse_location("http://").unwrap_err().to_string();
        assert!(!err.contains("http://"));
        let url = Url::parse("https://cal.example.com/private-TOKEN/basic.ics?x=1").unwrap();
        assert_eq!(display_of(&url), "https://cal.example.com");
    }

    #[test]
    fn auth_debug_hides_secrets() {
        let a = Auth::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
        let b = Auth::Headers {
            headers: vec![("X-Key".into(), "topsecret".into())],
        };
        assert!(!format!("{b:?}").contains("topsecret"));
    }

    #[test]
    fn providers_are_recognised_from_the_url() {
        let name = |u: &str| provider_name(&parse_location(u).unwrap());
        assert_eq!(
            name("https://calendar.google.com/calendar/ical/x%40group/private-abc/basic.ics"),
            "Google Calendar"
        );
        assert_eq!(
            name("https://outlook.office365.com/owa/calendar/a@b.com/c/calendar.ics"),
            "Microsoft 365"
        );
        assert_eq!(
            name("webcal://p52-caldav.icloud.com/published/2/abc"),
            "iCloud"
        );
        assert_eq!(name("https://user.fastmail.com/cal.ics"), "Fastmail");
        assert_eq!(
            name("https://cloud.example.org/remote.php/dav/public-calendars/x?export"),
            "Nextcloud"
        );
        assert_eq!(name("https://example.org/cal.ics"), "web");
        assert_eq!(name("/tmp/x.ics"), "local file");
    }
}
