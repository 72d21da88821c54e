//! The offline cache: each source's last good feed, and its fetch/health state.
//!
//! - `feeds`: one row per source: the calendar's metadata (JSON), the validators for a
//!   conditional GET, the times of the last success and the last check, the last error
//!   in words and its code, the circuit breaker and Retry-After.
//! - `events`: one row per [`EventRecord`] (JSON), keyed by source and order.
//!
//! A source's new data replaces its old data in ONE `BEGIN IMMEDIATE` transaction
//! (delete, multi-row inserts of [`BATCH_ROWS`], update of the `feeds` row), so a
//! reader, a crash or a kill -9 sees the old feed or the new one, never a mix. A
//! failure only touches the `feeds` row: the last good events stay.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

use crate::db;
use crate::fetch::breaker::{Breaker, CircuitState};
use crate::fetch::{FetchError, Validators};
use crate::ics::{Calendar, CalendarMeta, EventRecord};
use crate::settings::Settings;
use crate::sources::{self, Source};

/// Rows per multi-row INSERT (5 parameters each: far below SQLite's limit).
pub const BATCH_ROWS: usize = 100;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cached data could not be encoded: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Sources(#[from] sources::SourceError),
}

/// The stored state of one source's feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    pub source_id: i64,
    pub meta: Option<CalendarMeta>,
    pub validators: Validators,
    pub last_success: Option<DateTime<Utc>>,
    pub last_checked: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub error_kind: Option<String>,
    pub breaker: Breaker,
    pub retry_after: Option<DateTime<Utc>>,
    pub event_count: i64,
    /// Fetches in a row that parsed to no events while the cache held some.
    pub empty_answers: u32,
    /// What the app's agenda left out of this feed, in words (see [`set_cuts`]).
    pub cut: Option<String>,
}

/// How many empty answers in a row replace cached events (see [`StatusUpdate::Empty`]).
pub const EMPTY_ANSWERS_TO_REPLACE: u32 = 3;

/// The `error_kind` of a source whose feed answered with no events.
pub const EMPTY_FEED: &str = "empty_feed";

fn ts(v: Option<String>) -> Option<DateTime<Utc>> {
    v.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn row_to_state(row: &sqlx::sqlite::SqliteRow) -> Result<FeedState, CacheError> {
    let meta: Option<String> = row.try_get("meta_json")?;
    Ok(FeedState {
        source_id: row.try_get("source_id")?,
        // A meta that no longer decodes (schema drift) is treated as absent, not fatal.
        meta: meta.and_then(|m| serde_json::from_str(&m).ok()),
        validators: Validators {
            etag: row.try_get("etag")?,
            last_modified: row.try_get("last_modified")?,
            file_mtime: row.try_get("file_mtime")?,
        },
        last_success: ts(row.try_get("last_success")?),
        last_checked: ts(row.try_get("last_checked")?),
        last_error: row.try_get("last_error")?,
        error_kind: row.try_get("error_kind")?,
        breaker: Breaker {
            state: CircuitState::parse(&row.try_get::<String, _>("circuit_state")?),
            consecutive_failures: row.try_get::<i64, _>("consecutive_failures")?.max(0) as u32,
            open_until: ts(row.try_get("open_until")?),
        },
        retry_after: ts(row.try_get("retry_after")?),
        event_count: row.try_get("event_count")?,
        empty_answers: row.try_get::<i64, _>("empty_answers")?.max(0) as u32,
        cut: row.try_get("cut")?,
    })
}

const STATE_COLUMNS: &str = "source_id, meta_json, etag, last_modified, file_mtime, last_success, last_checked, \
     last_error, error_kind, circuit_state, consecutive_failures, open_until, retry_after, event_count, \
     empty_answers, cut";

/// The feed state of one source (a default state when it was never fetched).
pub async fn feed_state(pool: &SqlitePool, source_id: i64) -> Result<FeedState, CacheError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STATE_COLUMNS} FROM feeds WHERE source_id = ?"
    )))
    .bind(source_id)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(r) => row_to_state(&r),
        None => Ok(FeedState {
            source_id,
            meta: None,
            validators: Validators::default(),
            last_success: None,
            last_checked: None,
            last_error: None,
            error_kind: None,
            breaker: Breaker::default(),
            retry_after: None,
            event_count: 0,
            empty_answers: 0,
            cut: None,
        }),
    }
}

/// Every source's feed state.
pub async fn feed_states(pool: &SqlitePool) -> Result<Vec<FeedState>, CacheError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STATE_COLUMNS} FROM feeds ORDER BY source_id"
    )))
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_to_state).collect()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// A status change of one source to write (everything but a new body).
#[derive(Debug, Clone)]
pub enum StatusUpdate {
    /// 304 / unchanged file: `last_checked` moves, the breaker closes, data untouched.
    NotModified { at: DateTime<Utc>, breaker: Breaker },
    /// A failure: the error and breaker are recorded, data untouched.
    Failed {
        at: DateTime<Utc>,
        error: FetchError,
        breaker: Breaker,
    },
    /// The feed answered, but with no events, while the cache holds some: the last good
    /// data stays and the source shows a warning; `count` is how many such answers
    /// came in a row (the third replaces the data instead: [`EMPTY_ANSWERS_TO_REPLACE`]).
    Empty {
        at: DateTime<Utc>,
        count: u32,
        breaker: Breaker,
    },
}

/// The warning of an empty answer, in words.
pub fn empty_feed_message(count: u32) -> String {
    format!(
        "the feed returned no events; the last good data is kept until it says so \
         {EMPTY_ANSWERS_TO_REPLACE} times in a row ({count} so far)"
    )
}

/// Records one check of a source: when, its error (`None` clears it) and the breaker.
async fn update_check(
    conn: &mut SqliteConnection,
    source_id: i64,
    at: DateTime<Utc>,
    error: Option<&FetchError>,
    breaker: &Breaker,
) -> Result<(), CacheError> {
    sqlx::query(
        "UPDATE feeds SET last_checked = ?, last_error = ?, error_kind = ?, retry_after = ?,
         circuit_state = ?, consecutive_failures = ?, open_until = ? WHERE source_id = ?",
    )
    .bind(rfc(at))
    .bind(error.map(|e| e.to_string()))
    .bind(error.map(|e| e.kind.code()))
    .bind(error.and_then(|e| e.retry_after).map(rfc))
    .bind(breaker.state.as_str())
    .bind(breaker.consecutive_failures as i64)
    .bind(breaker.open_until.map(rfc))
    .bind(source_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a status update on `conn` (inside the caller's transaction).
pub async fn write_status(
    conn: &mut SqliteConnection,
    source_id: i64,
    up: &StatusUpdate,
) -> Result<(), CacheError> {
    match up {
        // A 304 is a failure-free check: the same row update with the error fields cleared.
        StatusUpdate::NotModified { at, breaker } => {
            update_check(conn, source_id, *at, None, breaker).await?;
            // The server says the good data is current: an empty streak is over.
            sqlx::query("UPDATE feeds SET empty_answers = 0 WHERE source_id = ?")
                .bind(source_id)
                .execute(&mut *conn)
                .await?;
        }
        StatusUpdate::Empty { at, count, breaker } => {
            update_check(conn, source_id, *at, None, breaker).await?;
            sqlx::query(
                "UPDATE feeds SET last_error = ?, error_kind = ?, empty_answers = ? WHERE source_id = ?",
            )
            .bind(empty_feed_message(*count))
            .bind(EMPTY_FEED)
            .bind(*count as i64)
            .bind(source_id)
            .execute(&mut *conn)
            .await?;
        }
        StatusUpdate::Failed { at, error, breaker } => {
            update_check(conn, source_id, *at, Some(error), breaker).await?;
        }
    }
    Ok(())
}

/// Replaces a source's data on `conn` (inside the caller's IMMEDIATE transaction).
pub async fn write_calendar(
    conn: &mut SqliteConnection,
    source_id: i64,
    calendar: &Calendar,
    validators: &Validators,
    at: DateTime<Utc>,
) -> Result<(), CacheError> {
    sqlx::query("DELETE FROM events WHERE source_id = ?")
        .bind(source_id)
        .execute(&mut *conn)
        .await?;
    for (chunk_no, chunk) in calendar.events.chunks(BATCH_ROWS).enumerate() {
        let rows: Vec<(i64, &EventRecord, String)> = chunk
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Ok((
                    (chunk_no * BATCH_ROWS + i) as i64,
                    e,
                    serde_json::to_string(e)?,
                ))
            })
            .collect::<Result<_, serde_json::Error>>()?;
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO events (source_id, seq, uid, recurrence_id, record_json) ",
        );
        qb.push_values(rows, |mut b, (seq, e, json)| {
            b.push_bind(source_id)
                .push_bind(seq)
                .push_bind(e.uid.clone())
                .push_bind(e.recurrence_id.clone().unwrap_or_default())
                .push_bind(json);
        });
        qb.build().execute(&mut *conn).await?;
    }
    let meta = serde_json::to_string(&calendar.meta)?;
    // Upsert: the feeds row exists for every source added through `sources::add`, but a
    // hand-made test database may lack it.
    sqlx::query(
        "INSERT INTO feeds (source_id, meta_json, etag, last_modified, file_mtime, last_success, last_checked,
                            last_error, error_kind, circuit_state, consecutive_failures, open_until, retry_after, event_count)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 'closed', 0, NULL, NULL, ?)
         ON CONFLICT(source_id) DO UPDATE SET meta_json = excluded.meta_json, etag = excluded.etag,
            last_modified = excluded.last_modified, file_mtime = excluded.file_mtime,
            last_success = excluded.last_success, last_checked = excluded.last_checked,
            last_error = NULL, error_kind = NULL, circuit_state = 'closed', consecutive_failures = 0,
            open_until = NULL, retry_after = NULL, event_count = excluded.event_count,
            empty_answers = 0",
    )
    .bind(source_id)
    .bind(meta)
    .bind(&validators.etag)
    .bind(&validators.last_modified)
    .bind(&validators.file_mtime)
    .bind(rfc(at))
    .bind(rfc(at))
    .bind(calendar.events.len() as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a source's new calendar in its own IMMEDIATE transaction.
pub async fn store_calendar(
    pool: &SqlitePool,
    source_id: i64,
    calendar: &Calendar,
    validators: &Validators,
    at: DateTime<Utc>,
) -> Result<(), CacheError> {
    let mut tx = db::begin_immediate(pool).await?;
    write_calendar(&mut tx, source_id, calendar, validators, at).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a status update in its own IMMEDIATE transaction.
pub async fn store_status(
    pool: &SqlitePool,
    source_id: i64,
    up: &StatusUpdate,
) -> Result<(), CacheError> {
    let mut tx = db::begin_immediate(pool).await?;
    write_status(&mut tx, source_id, up).await?;
    tx.commit().await?;
    Ok(())
}

/// The cached calendar of one source (`None` when it was never fetched successfully).
pub async fn load_calendar(
    pool: &SqlitePool,
    source_id: i64,
) -> Result<Option<Calendar>, CacheError> {
    // One read transaction, so meta and events come from the same snapshot.
    let mut tx = pool.begin().await?;
    let meta: Option<Option<String>> =
        sqlx::query_scalar("SELECT meta_json FROM feeds WHERE source_id = ?")
            .bind(source_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(Some(meta)) = meta else {
        return Ok(None);
    };
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT record_json FROM events WHERE source_id = ? ORDER BY seq")
            .bind(source_id)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    let mut events = Vec::with_capacity(rows.len());
    for r in rows {
        match serde_json::from_str::<EventRecord>(&r) {
            Ok(e) => events.push(e),
            // A row written by an older engine version: skip it rather than lose the feed.
            Err(e) => tracing::warn!(source_id, error = %e, "cached event skipped"),
        }
    }
    Ok(Some(Calendar {
        meta: serde_json::from_str(&meta).unwrap_or_default(),
        events,
    }))
}

/// A source with its cached calendar.
#[derive(Debug, Clone)]
pub struct CachedCalendar {
    pub source: Source,
    pub calendar: Calendar,
}

/// Rebuilds each enabled source's [`Calendar`] from the cache (sources never fetched
/// successfully are left out). This is what the agenda, the tray and `next` read.
pub async fn load_calendars(pool: &SqlitePool) -> Result<Vec<CachedCalendar>, CacheError> {
    let mut out = Vec::new();
    for source in sources::list(pool).await?.into_iter().filter(|s| s.enabled) {
        if let Some(calendar) = load_calendar(pool, source.id).await? {
            out.push(CachedCalendar { source, calendar });
        }
    }
    Ok(out)
}

/// A source's health in one word, spelt the same in `status --format json` and the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Fetched, and the data is recent.
    Ok,
    /// The last attempt failed but the data is recent.
    Warning,
    /// Stale, or never fetched after failures.
    Error,
    /// Never tried yet.
    Pending,
    Disabled,
}

impl SourceStatus {
    /// The word as serialised (`status --format json`, the window).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Pending => "pending",
            Self::Disabled => "disabled",
        }
    }
}

impl std::fmt::Display for SourceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the serialised word (`status == "ok"`).
impl PartialEq<&str> for SourceStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The health of a source, for `calendarbot status` and the window's Sources page.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SourceHealth {
    pub source_id: i64,
    pub name: String,
    /// `scheme://host[:port]` or the file path.
    pub display: String,
    pub enabled: bool,
    pub status: SourceStatus,
    pub last_success: Option<DateTime<Utc>>,
    pub last_checked: Option<DateTime<Utc>>,
    /// The last error in words; `None` after a success.
    pub last_error: Option<String>,
    pub error_code: Option<String>,
    pub circuit: CircuitState,
    pub consecutive_failures: u32,
    pub circuit_open_until: Option<DateTime<Utc>>,
    pub retry_after: Option<DateTime<Utc>>,
    /// Seconds since the last success.
    pub age_seconds: Option<i64>,
    /// No success within twice the refresh interval.
    pub stale: bool,
    pub event_count: i64,
    /// Where the source's credentials live ("keyring" / "file"), if it has any.
    pub secret_store: Option<&'static str>,
    /// What the app's agenda leaves out of this calendar, in words (the source is then a
    /// warning): too many occurrences for the agenda's budget.
    pub cut: Option<String>,
}

/// The effective refresh interval of a source: its own or the global one, never below
/// the feed's REFRESH-INTERVAL / X-PUBLISHED-TTL (capped at a week).
pub fn effective_interval(
    source: &Source,
    meta: Option<&CalendarMeta>,
    settings: &Settings,
) -> chrono::Duration {
    let minutes = source
        .interval_minutes
        .unwrap_or(settings.refresh_interval_minutes)
        .max(1);
    let mut secs = minutes * 60;
    if let Some(hint) = meta.and_then(|m| m.refresh_interval_secs) {
        secs = secs.max(hint.min(7 * 86_400) as i64);
    }
    chrono::Duration::seconds(secs)
}

/// Per-source health at `now`.
pub async fn health(
    pool: &SqlitePool,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Result<Vec<SourceHealth>, CacheError> {
    let states = feed_states(pool).await?;
    let mut out = Vec::new();
    for source in sources::list(pool).await? {
        let st = match states.iter().find(|s| s.source_id == source.id) {
            Some(s) => s.clone(),
            None => feed_state(pool, source.id).await?,
        };
        let interval = effective_interval(&source, st.meta.as_ref(), settings);
        let age = st.last_success.map(|t| (now - t).num_seconds());
        // A source never fetched yet is pending, not out of date: a calendar just added
        // must not greet the user with a warning in the tray and the Sources page.
        let stale = match st.last_success {
            Some(t) => now - t > interval * 2,
            None => st.last_checked.is_some(),
        };
        let status = if !source.enabled {
            SourceStatus::Disabled
        } else if st.last_checked.is_none() && st.last_success.is_none() {
            SourceStatus::Pending
        } else if st.last_error.is_none() && !stale && st.cut.is_none() {
            SourceStatus::Ok
        } else if st.last_error.is_none() && !stale {
            // Fetched and current, but not all of it is shown.
            SourceStatus::Warning
        } else if st.error_kind.as_deref() == Some(EMPTY_FEED) {
            // The feed answers; it is its content that is doubtful, and the last good
            // data is still shown however old it is.
            SourceStatus::Warning
        } else if st.last_success.is_some() && !stale {
            SourceStatus::Warning
        } else {
            SourceStatus::Error
        };
        out.push(SourceHealth {
            source_id: source.id,
            name: source.name.clone(),
            display: source.display.clone(),
            enabled: source.enabled,
            status,
            last_success: st.last_success,
            last_checked: st.last_checked,
            last_error: st.last_error.clone(),
            error_code: st.error_kind.clone(),
            circuit: st.breaker.state,
            consecutive_failures: st.breaker.consecutive_failures,
            circuit_open_until: st
                .breaker
                .open_until
                .filter(|_| st.breaker.state != CircuitState::Closed),
            retry_after: st.retry_after.filter(|t| *t > now),
            age_seconds: age,
            stale,
            event_count: st.event_count,
            secret_store: source.secret_store.map(|k| k.as_str()),
            cut: st.cut.clone(),
        });
    }
    Ok(out)
}

/// Records what the app's agenda cut from each source: `cuts` holds (source id, words)
/// for the cut ones; every other source's note is cleared. One write transaction; the
/// caller writes only when the cuts changed.
pub async fn set_cuts(pool: &SqlitePool, cuts: &[(i64, String)]) -> Result<(), CacheError> {
    let mut tx = db::begin_immediate(pool).await?;
    sqlx::query("UPDATE feeds SET cut = NULL WHERE cut IS NOT NULL")
        .execute(&mut *tx)
        .await?;
    for (source_id, words) in cuts {
        sqlx::query("UPDATE feeds SET cut = ? WHERE source_id = ?")
            .bind(words)
            .bind(source_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
