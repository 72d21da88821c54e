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

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot, watch, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::cache::{self, CacheError, FeedState, StatusUpdate};
use crate::clock::Clock;
use crate::db;
use crate::fetch::breaker::{BreakerConfig, CircuitState, Permit};
use crate::fetch::{ErrorKind, FetchError, Fetched, Fetcher, Validators};
use crate::file_watch::FileWatch;
use crate::ics::{self, Calendar, FeedError};
use crate::monitor::{Outcome, Tasks};
use crate::secrets::SecretStore;
use crate::settings::Settings;
use crate::sources::{self, ResolvedSource, Source, SourceKind, Target};

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

enum WriteOp {
    Calendar {
        calendar: Calendar,
        validators: Validators,
        at: DateTime<Utc>,
    },
    Status(StatusUpdate),
}

struct WriteMsg {
    source_id: i64,
    op: WriteOp,
    ack: oneshot::Sender<Result<(), String>>,
}

impl WriteMsg {
    fn rows(&self) -> usize {
        match &self.op {
            WriteOp::Calendar { calendar, .. } => calendar.events.len() + 1,
            WriteOp::Status(_) => 1,
        }
    }
}

struct Inner {
    deps: Deps,
    writer: mpsc::Sender<WriteMsg>,
    cancel: CancellationToken,
    tasks: Tasks,
    /// "Refresh now" (forces every source).
    refresh_now: Notify,
    /// A refresh finished: the scheduler recomputes due times.
    finished: Notify,
    /// Sources being refreshed (one fetch per source at a time: also makes the
    /// half-open probe single).
    in_flight: Mutex<HashSet<i64>>,
    limit: Semaphore,
    changes: Changes,
}

/// The running pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct InFlight<'a> {
    set: &'a Mutex<HashSet<i64>>,
    id: i64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl Pipeline {
    /// Starts the cache writer on `tasks`; stops with `cancel`.
    pub fn start(deps: Deps, cancel: CancellationToken, tasks: &Tasks) -> Pipeline {
        let (tx, rx) = mpsc::channel(deps.options.channel_capacity.max(1));
        let changes = Changes::default();
        let inner = Arc::new(Inner {
            limit: Semaphore::new(deps.options.concurrency.max(1)),
            writer: tx,
            cancel: cancel.clone(),
            tasks: tasks.clone(),
            refresh_now: Notify::new(),
            finished: Notify::new(),
            in_flight: Mutex::new(HashSet::new()),
            changes: changes.clone(),
            deps: deps.clone(),
        });
        tasks.spawn(
            "cache writer",
            writer_loop(
                deps.pool.clone(),
                rx,
                cancel,
                deps.options.flush_interval,
                changes,
            ),
        );
        Pipeline { inner }
    }

    /// Starts the refresh scheduler loop.
    pub fn spawn_scheduler(&self) {
        let me = self.clone();
        self.inner.tasks.spawn(
            "refresh scheduler",
            async move { me.scheduler_loop().await },
        );
    }

    /// Asks the scheduler to refresh every enabled source now.
    pub fn refresh_now(&self) {
        self.inner.refresh_now.notify_one();
    }

    /// A receiver that changes whenever cached events changed.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.events.subscribe()
    }

    /// A receiver that changes after every cache write, events or only a source's
    /// health (a failure, a 304): what the tray's health line reads may have changed.
    pub fn subscribe_health(&self) -> watch::Receiver<u64> {
        self.inner.changes.health.subscribe()
    }

    /// Refreshes every enabled source once, concurrently (bounded), and reports each.
    /// Honours open circuits and Retry-After (those sources are `Skipped`).
    pub async fn refresh_all(&self) -> Result<Vec<SourceOutcome>, RefreshError> {
        let deps = &self.inner.deps;
        let settings = Settings::load(&deps.pool).await?;
        deps.fetcher.apply_settings(&settings);
        let (ok, bad) = sources::resolve_enabled(&deps.pool, &deps.secrets).await?;
        let mut out = Vec::new();
        for (source, _err) in bad {
            out.push(self.record_secrets_failure(&source, &settings).await);
        }
        let mut handles = Vec::new();
        for rs in ok {
            handles.push(self.spawn_refresh(rs, settings.clone()));
        }
        for h in handles {
            match h.await {
                Ok(Some(o)) => out.push(o),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "refresh task failed"),
            }
        }
        out.sort_by_key(|o| o.source_id);
        Ok(out)
    }

    /// Refreshes one source now (the window's "test connection" / retry button).
    pub async fn refresh_source(&self, source_id: i64) -> Result<SourceOutcome, RefreshError> {
        let deps = &self.inner.deps;
        let settings = Settings::load(&deps.pool).await?;
        deps.fetcher.apply_settings(&settings);
        let source = sources::get(&deps.pool, source_id).await?;
        match sources::resolve(&deps.pool, &deps.secrets, source.clone()).await {
            Ok(rs) => Ok(self.run_one(rs, settings).await.unwrap_or(SourceOutcome {
                source_id,
                name: source.name,
                kind: OutcomeKind::Skipped {
                    code: "in_progress".into(),
                    message: "a refresh of this source is already running".into(),
                    until: None,
                },
            })),
            Err(_) => Ok(self.record_secrets_failure(&source, &settings).await),
        }
    }

    /// One source's refresh as a named task (Diagnostics lists it while it runs).
    fn spawn_refresh(
        &self,
        rs: ResolvedSource,
        settings: Settings,
    ) -> tokio::task::JoinHandle<Option<SourceOutcome>> {
        let me = self.clone();
        let name = format!("refresh source {}", rs.source.id);
        self.inner
            .tasks
            .spawn(name, async move { me.run_one(rs, settings).await })
    }

    async fn record_secrets_failure(&self, source: &Source, settings: &Settings) -> SourceOutcome {
        let err = FetchError::new(ErrorKind::Secrets);
        let now = self.inner.deps.clock.now();
        let mut breaker = cache::feed_state(&self.inner.deps.pool, source.id)
            .await
            .map(|s| s.breaker)
            .unwrap_or_default();
        breaker.record_failure(now, &BreakerConfig::from_settings(settings));
        let _ = self
            .write(
                source.id,
                WriteOp::Status(StatusUpdate::Failed {
                    at: now,
                    error: err.clone(),
                    breaker,
                }),
            )
            .await;
        SourceOutcome {
            source_id: source.id,
            name: source.name.clone(),
            kind: OutcomeKind::Failed {
                code: err.kind.code().into(),
                message: err.to_string(),
            },
        }
    }

    /// One source, start to end, under the concurrency limit. `None` when that source
    /// is already being refreshed.
    async fn run_one(&self, rs: ResolvedSource, settings: Settings) -> Option<SourceOutcome> {
        let id = rs.source.id;
        {
            let mut set = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if !set.insert(id) {
                return None;
            }
        }
        let guard = InFlight {
            set: &self.inner.in_flight,
            id,
        };
        let cancelled = || SourceOutcome {
            source_id: id,
            name: rs.source.name.clone(),
            kind: OutcomeKind::Cancelled,
        };
        let permit = tokio::select! {
            _ = self.inner.cancel.cancelled() => return Some(cancelled()),
            p = self.inner.limit.acquire() => match p { Ok(p) => p, Err(_) => return Some(cancelled()) },
        };
        let outcome = self.refresh_one(&rs, &settings).await;
        // Release before waking the scheduler, so it sees the source as idle and
        // schedules its next run.
        drop(permit);
        drop(guard);
        self.inner.finished.notify_one();
        Some(outcome)
    }

    async fn refresh_one(&self, rs: &ResolvedSource, settings: &Settings) -> SourceOutcome {
        let deps = &self.inner.deps;
        let id = rs.source.id;
        let name = rs.source.name.clone();
        let done = |kind| SourceOutcome {
            source_id: id,
            name: name.clone(),
            kind,
        };
        let state = match cache::feed_state(&deps.pool, id).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(source_id = id, error = %e, "cannot read feed state");
                return done(OutcomeKind::Failed {
                    code: "database".into(),
                    message: "the cache could not be read".into(),
                });
            }
        };
        let now = deps.clock.now();
        if let Some(until) = state.retry_after.filter(|t| *t > now) {
            let e = ErrorKind::Waiting;
            return done(OutcomeKind::Skipped {
                code: e.code().into(),
                message: format!("{} (until {})", e.message(), until.format("%H:%M:%S UTC")),
                until: Some(until),
            });
        }
        let cfg = BreakerConfig::from_settings(settings);
        let mut breaker = state.breaker;
        if let Permit::Rejected { until } = breaker.check(now, &cfg) {
            let e = ErrorKind::CircuitOpen;
            return done(OutcomeKind::Skipped {
                code: e.code().into(),
                message: format!(
                    "{} (next try {})",
                    e.message(),
                    until.format("%H:%M:%S UTC")
                ),
                until: Some(until),
            });
        }
        let result = self.fetch_and_parse(rs, &state).await;
        let at = deps.clock.now();
        let (op, kind) = match result {
            Err(e) if e.kind == ErrorKind::Cancelled => return done(OutcomeKind::Cancelled),
            Ok(None) => {
                breaker.record_success();
                (
                    WriteOp::Status(StatusUpdate::NotModified { at, breaker }),
                    OutcomeKind::NotModified,
                )
            }
            Ok(Some((calendar, validators))) => {
                let events = calendar.events.len();
                (
                    WriteOp::Calendar {
                        calendar,
                        validators,
                        at,
                    },
                    OutcomeKind::Updated { events },
                )
            }
            Err(error) => {
                breaker.record_failure(at, &cfg);
                if breaker.state == CircuitState::Open {
                    tracing::warn!(
                        source_id = id,
                        failures = breaker.consecutive_failures,
                        "circuit opened"
                    );
                }
                let kind = OutcomeKind::Failed {
                    code: error.kind.code().into(),
                    message: error.to_string(),
                };
                (
                    WriteOp::Status(StatusUpdate::Failed { at, error, breaker }),
                    kind,
                )
            }
        };
        match self.write(id, op).await {
            Ok(()) => done(kind),
            Err(WriteFailure::Cancelled) => done(OutcomeKind::Cancelled),
            Err(WriteFailure::Db(msg)) => done(OutcomeKind::Failed {
                code: "database".into(),
                message: msg,
            }),
        }
    }

    async fn fetch_and_parse(
        &self,
        rs: &ResolvedSource,
        state: &FeedState,
    ) -> Result<Option<(Calendar, Validators)>, FetchError> {
        let deps = &self.inner.deps;
        let id = rs.source.id;
        // Without cached data a 304 would leave the source empty: ask unconditionally.
        let validators = if state.meta.is_some() {
            state.validators.clone()
        } else {
            Validators::default()
        };
        let fetched = deps
            .fetcher
            .fetch(id, &rs.target, &validators, &self.inner.cancel)
            .await?;
        let (body, validators) = match fetched {
            Fetched::NotModified => return Ok(None),
            Fetched::Body { body, validators } => (body, validators),
        };
        let parser = deps.parser.clone();
        // Parsing is CPU work: off the async workers. A panic in the engine is caught
        // by the join handle and reported as a parse failure, never a crash.
        let parsed = tokio::task::spawn_blocking(move || parser(&body)).await;
        match parsed {
            Ok(Ok(calendar)) => Ok(Some((calendar, validators))),
            Ok(Err(e)) => {
                let kind = ErrorKind::from(&e);
                tracing::info!(
                    source_id = id,
                    error = kind.code(),
                    "feed rejected by the parser"
                );
                Err(kind.into())
            }
            Err(_) => {
                tracing::error!(source_id = id, "the parser panicked");
                Err(ErrorKind::Parse.into())
            }
        }
    }

    async fn write(&self, source_id: i64, op: WriteOp) -> Result<(), WriteFailure> {
        let (ack, rx) = oneshot::channel();
        let msg = WriteMsg { source_id, op, ack };
        tokio::select! {
            _ = self.inner.cancel.cancelled() => return Err(WriteFailure::Cancelled),
            r = self.inner.writer.send(msg) => r.map_err(|_| WriteFailure::Cancelled)?,
        }
        // Once queued, wait for the writer's verdict even during shutdown: it flushes
        // what it holds, and the caller should know whether it was committed.
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(m)) => Err(WriteFailure::Db(m)),
            Err(_) => Err(WriteFailure::Cancelled),
        }
    }

    async fn scheduler_loop(&self) {
        let deps = &self.inner.deps;
        let mut files = FileWatch::new();
        let mut force = Force::None;
        loop {
            let next = match self.schedule_round(force, &mut files).await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "scheduler round failed");
                    Some(deps.clock.now() + chrono::Duration::seconds(60))
                }
            };
            force = Force::None;
            tokio::select! {
                _ = self.inner.cancel.cancelled() => break,
                _ = self.inner.refresh_now.notified() => force = Force::All,
                id = files.changed() => force = Force::Source(id),
                _ = self.inner.finished.notified() => {}
                () = deps.clock.sleep_until(next, deps.options.max_sleep) => {}
            }
        }
        tracing::debug!("scheduler stopped");
    }

    /// Spawns the due sources and the forced ones; returns when the next one is due.
    async fn schedule_round(
        &self,
        force: Force,
        files: &mut FileWatch,
    ) -> Result<Option<DateTime<Utc>>, RefreshError> {
        let deps = &self.inner.deps;
        let settings = Settings::load(&deps.pool).await?;
        deps.fetcher.apply_settings(&settings);
        let states = cache::feed_states(&deps.pool).await?;
        let now = deps.clock.now();
        let mut next: Option<DateTime<Utc>> = None;
        let (ok, _bad) = sources::resolve_enabled(&deps.pool, &deps.secrets).await?;
        let local: Vec<(i64, PathBuf)> = ok
            .iter()
            .filter_map(|rs| match &rs.target {
                Target::File { path } => Some((rs.source.id, path.clone())),
                Target::Http { .. } => None,
            })
            .collect();
        let polled = files.set(&local);
        for rs in ok {
            let id = rs.source.id;
            let state = states.iter().find(|s| s.source_id == id);
            let due = match force {
                Force::All => now,
                Force::Source(forced) if forced == id => now,
                _ => next_due(
                    &rs.source,
                    state,
                    &settings,
                    &deps.options,
                    polled.contains(&id),
                ),
            };
            let busy = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&rs.source.id);
            if due <= now && !busy {
                self.spawn_refresh(rs, settings.clone());
            } else if !busy {
                next = Some(next.map_or(due, |n: DateTime<Utc>| n.min(due)));
            }
        }
        Ok(next)
    }
}

/// What a scheduler round refreshes whether due or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Force {
    None,
    /// "Refresh now".
    All,
    /// A watched file changed.
    Source(i64),
}

/// Generation counters bumped after cache commits; watchers wake on them.
#[derive(Clone, Default)]
struct Changes {
    /// Events changed: the agenda rebuilds.
    events: watch::Sender<u64>,
    /// Anything was written (health at least): the tray re-reads source health.
    health: watch::Sender<u64>,
}

impl Changes {
    fn committed(&self, events: bool) {
        if events {
            self.events.send_modify(|g| *g += 1);
        }
        self.health.send_modify(|g| *g += 1);
    }
}

enum WriteFailure {
    Cancelled,
    Db(String),
}

/// When a source should next be fetched (pure; `now`-free so it is easy to test).
/// `polled`: a local file that cannot be watched, so it is checked every
/// `options.file_check`; a watched one is read again when it changes.
pub fn next_due(
    source: &Source,
    state: Option<&FeedState>,
    settings: &Settings,
    options: &PipelineOptions,
    polled: bool,
) -> DateTime<Utc> {
    let Some(state) = state else {
        return DateTime::<Utc>::MIN_UTC;
    };
    let Some(checked) = state.last_checked else {
        return DateTime::<Utc>::MIN_UTC;
    };
    let interval = cache::effective_interval(source, state.meta.as_ref(), settings);
    // Up to 10 % (at most 2 min) of jitter, derived from the source and the last check
    // so it is stable between rounds and spreads sources added together.
    let spread = (interval.num_seconds() / 10).clamp(0, 120);
    let seed =
        (source.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (checked.timestamp() as u64);
    let jitter = if spread > 0 {
        (seed % spread as u64) as i64
    } else {
        0
    };
    let mut due = if state.last_error.is_some() && state.breaker.consecutive_failures > 0 {
        let exp = state.breaker.consecutive_failures.saturating_sub(1).min(10);
        let backoff = chrono::Duration::seconds(60i64 << exp);
        checked + backoff.min(interval)
    } else {
        checked + interval + chrono::Duration::seconds(jitter)
    };
    if source.kind == SourceKind::File && polled {
        let file_check =
            chrono::Duration::from_std(options.file_check).unwrap_or(chrono::Duration::seconds(60));
        due = due.min(checked + file_check);
    }
    if state.breaker.state != CircuitState::Closed {
        if let Some(open_until) = state.breaker.open_until {
            due = due.max(open_until);
        }
    }
    if let Some(ra) = state.retry_after {
        due = due.max(ra);
    }
    due
}

async fn writer_loop(
    pool: SqlitePool,
    mut rx: mpsc::Receiver<WriteMsg>,
    cancel: CancellationToken,
    flush_interval: Duration,
    changes: Changes,
) {
    let mut pending: Vec<WriteMsg> = Vec::new();
    let mut rows = 0usize;
    let mut deadline = tokio::time::Instant::now();
    loop {
        let msg = if pending.is_empty() {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                m = rx.recv() => m,
            }
        } else {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                m = rx.recv() => m,
                _ = tokio::time::sleep_until(deadline) => {
                    flush(&pool, std::mem::take(&mut pending), &changes).await;
                    rows = 0;
                    continue;
                }
            }
        };
        let Some(msg) = msg else { break };
        if pending.is_empty() {
            deadline = tokio::time::Instant::now() + flush_interval;
        }
        rows += msg.rows();
        pending.push(msg);
        if rows >= cache::BATCH_ROWS {
            flush(&pool, std::mem::take(&mut pending), &changes).await;
            rows = 0;
        }
    }
    // Cancelled or every producer gone: write what is held (whole), then stop.
    // Messages still queued belong to producers that were cancelled.
    if !pending.is_empty() {
        flush(&pool, pending, &changes).await;
    }
    tracing::debug!("cache writer stopped");
}

/// Writes a batch in one IMMEDIATE transaction; if that fails, each message alone, so
/// one bad write does not lose the others.
async fn flush(pool: &SqlitePool, batch: Vec<WriteMsg>, changes: &Changes) {
    let has_events = batch
        .iter()
        .any(|m| matches!(m.op, WriteOp::Calendar { .. }));
    match write_batch(pool, &batch).await {
        Ok(()) => {
            for m in batch {
                let _ = m.ack.send(Ok(()));
            }
            changes.committed(has_events);
        }
        Err(e) if batch.len() > 1 => {
            tracing::warn!(error = %e, "batch write failed; writing one by one");
            let mut events = false;
            for m in batch {
                let r = write_batch(pool, std::slice::from_ref(&m)).await;
                events |= r.is_ok() && matches!(m.op, WriteOp::Calendar { .. });
                let _ = m.ack.send(r.map_err(|e| db_message(&e)));
            }
            changes.committed(events);
        }
        Err(e) => {
            tracing::error!(error = %e, "cache write failed");
            for m in batch {
                let _ = m.ack.send(Err(db_message(&e)));
            }
        }
    }
}

fn db_message(e: &CacheError) -> String {
    // Database errors hold no feed URL; keep them short for the UI.
    format!("the cache could not be written: {e}")
}

async fn write_batch(pool: &SqlitePool, batch: &[WriteMsg]) -> Result<(), CacheError> {
    let mut tx = db::begin_immediate(pool).await?;
    for m in batch {
        match &m.op {
            WriteOp::Calendar {
                calendar,
                validators,
                at,
            } => cache::write_calendar(&mut tx, m.source_id, calendar, validators, *at).await?,
            WriteOp::Status(up) => cache::write_status(&mut tx, m.source_id, up).await?,
        }
    }
    tx.commit().await?;
    Ok(())
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
