//! The refresh pipeline: fetch → parse → one cache writer.
//!
//! ```text
//!  scheduler ──spawns──▶ producer per due source (≤ concurrency at once)
//!                         fetch (async, cancellable) → sniff → parse (spawn_blocking)
//!                         └──▶ bounded mpsc (back-pressure) ──▶ ONE writer task
//!                                                             batches ≤ 100 rows or a
//!                                                             short flush interval, each
//!                                                             batch one BEGIN IMMEDIATE
//! ```
//!
//! - Every stage selects on the [`CancellationToken`] and is spawned through the
//!   [`Tasks`] registry passed in (named in Diagnostics, tracked for shutdown), so
//!   `shutdown()` cancels, closes and waits with a bound.
//! - On cancel the writer finishes the transaction it is in (a source's data is written
//!   whole) and flushes what it already holds; nothing half-written can be committed,
//!   and a kill -9 mid-transaction is rolled back by SQLite.
//! - Failures never touch a source's cached events: only its `feeds` row (health).
//! - The scheduler sleeps until the next source is due (no periodic tick), or until
//!   "refresh now" or a finished refresh wakes it. A source is due at
//!   `last_checked + interval + jitter`, where interval is the larger of the user's and
//!   the feed's REFRESH-INTERVAL / X-PUBLISHED-TTL; after a failure it is retried sooner
//!   (1, 2, 4 … minutes, never later than the interval), not before Retry-After nor
//!   while its circuit is open. Local files are watched ([`FileWatch`]) and read again
//!   when saved; one that cannot be watched is checked for a new mtime every minute.

mod pipeline;
mod scheduler;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

use crate::cache::CacheError;
use crate::clock::Clock;
use crate::fetch::Fetcher;
use crate::ics::{self, Calendar, FeedError};
use crate::monitor::{Outcome, Tasks};
use crate::secrets::SecretStore;
use crate::sources;

pub use pipeline::{fetch_and_parse, Pipeline};
pub use scheduler::{backoff, next_due, SchedulerHealth};

/// The parse step. The app uses [`ics::parse_feed`]; tests may inject another.
pub type ParseFn = Arc<dyn Fn(&[u8]) -> Result<Calendar, FeedError> + Send + Sync>;

/// The real parser.
pub fn default_parser() -> ParseFn {
    Arc::new(ics::parse_feed)
}

/// Tunables of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Sources fetched at once.
    pub concurrency: usize,
    /// Capacity of the producer → writer channel (messages; each may be a whole feed).
    pub channel_capacity: usize,
    /// Longest a small write waits for company before it is flushed.
    pub flush_interval: Duration,
    /// How often a local file that cannot be watched is checked for a new mtime.
    pub file_check: Duration,
    /// The longest sleep on a clock that cannot report suspends or jumps (see
    /// [`Clock::sleep_until`]; the system clock can, and ignores it).
    pub max_sleep: Duration,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            channel_capacity: 8,
            flush_interval: Duration::from_millis(50),
            file_check: Duration::from_secs(60),
            max_sleep: Duration::from_secs(3600),
        }
    }
}

/// What the pipeline needs.
#[derive(Clone)]
pub struct Deps {
    pub pool: SqlitePool,
    pub fetcher: Arc<Fetcher>,
    pub secrets: Arc<SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub parser: ParseFn,
    pub options: PipelineOptions,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Sources(#[from] sources::SourceError),
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
}

/// How one source's refresh ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum OutcomeKind {
    /// New data stored.
    Updated { events: usize },
    /// 304 or an unchanged file; nothing written but `last_checked`.
    NotModified,
    /// Fetch or parse failed; the last good data is kept.
    Failed { code: String, message: String },
    /// Not attempted: the circuit is open or the server asked to wait.
    Skipped {
        code: String,
        message: String,
        until: Option<DateTime<Utc>>,
    },
    /// Shut down before it finished; nothing was written.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceOutcome {
    pub source_id: i64,
    pub name: String,
    #[serde(flatten)]
    pub kind: OutcomeKind,
}

impl SourceOutcome {
    /// For `calendarbot sync`'s exit code: anything but fresh or unchanged data.
    pub fn is_failure(&self) -> bool {
        !matches!(
            self.kind,
            OutcomeKind::Updated { .. } | OutcomeKind::NotModified
        )
    }
}

impl Outcome for Option<SourceOutcome> {
    fn describe(&self) -> String {
        match self {
            Some(SourceOutcome {
                kind: OutcomeKind::Failed { message, .. },
                ..
            }) => format!("failed: {message}"),
            Some(SourceOutcome {
                kind: OutcomeKind::Skipped { message, .. },
                ..
            }) => format!("skipped: {message}"),
            Some(SourceOutcome {
                kind: OutcomeKind::Cancelled,
                ..
            }) => "cancelled".into(),
            Some(_) => "ok".into(),
            None => "already running".into(),
        }
    }
}

/// `calendarbot sync`: refreshes every enabled source once and waits for the writes.
pub async fn sync(deps: Deps) -> Result<Vec<SourceOutcome>, RefreshError> {
    let cancel = CancellationToken::new();
    let tasks = Tasks::new();
    let pipeline = Pipeline::start(deps, cancel.clone(), &tasks);
    let result = pipeline.refresh_all().await;
    drop(pipeline);
    let tracker = tasks.tracker();
    tracker.close();
    // The writer ends when the last sender is gone; cancel as well in case a clone leaked.
    cancel.cancel();
    tracker.wait().await;
    result
}
