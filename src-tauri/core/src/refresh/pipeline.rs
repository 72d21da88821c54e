//! The pipeline proper: one source's refresh from the due check to the writer's
//! verdict (fetch, parse on the blocking pool, breaker bookkeeping).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, watch, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use super::scheduler::SchedulerHealth;
use super::writer::{writer_loop, Changes, WriteFailure, WriteMsg, WriteOp};
use super::{Deps, OutcomeKind, ParseFn, RefreshError, SourceOutcome};
use crate::cache::{self, FeedState, StatusUpdate};
use crate::caldav;
use crate::fetch::breaker::{BreakerConfig, CircuitState, Permit};
use crate::fetch::{ErrorKind, FetchError, Fetched, Fetcher, Validators};
use crate::ics::Calendar;
use crate::monitor::Tasks;
use crate::settings::Settings;
use crate::sources::{self, ResolvedSource, Source, Target};

pub(super) struct Inner {
    pub(super) deps: Deps,
    pub(super) writer: mpsc::Sender<WriteMsg>,
    pub(super) cancel: CancellationToken,
    pub(super) tasks: Tasks,
    /// "Refresh now" (forces every source).
    pub(super) refresh_now: Notify,
    /// A refresh finished: the scheduler recomputes due times.
    pub(super) finished: Notify,
    /// Sources being refreshed (one fetch per source at a time: also makes the
    /// half-open probe single).
    pub(super) in_flight: Mutex<HashSet<i64>>,
    pub(super) limit: Semaphore,
    pub(super) changes: Changes,
    pub(super) scheduler: watch::Sender<SchedulerHealth>,
}

/// The running pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    pub(super) inner: Arc<Inner>,
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
            scheduler: watch::Sender::new(SchedulerHealth::default()),
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

    /// The scheduler's health: its next wake-up and the failures of its rounds.
    pub fn scheduler_health(&self) -> watch::Receiver<SchedulerHealth> {
        self.inner.scheduler.subscribe()
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

    /// One source's refresh as a named task (Diagnostics lists it while it runs).
    pub(super) fn spawn_refresh(
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
        // A CalDAV calendar is synced over WebDAV (only what changed), with the same
        // breaker and health as a feed; the sync writes its events itself.
        match caldav::store::calendar(&deps.pool, id).await {
            Ok(Some(_)) => return done(self.sync_caldav(id, settings).await),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(source_id = id, error = %e, "cannot read caldav state");
                return done(OutcomeKind::Failed {
                    code: "database".into(),
                    message: "the cache could not be read".into(),
                });
            }
        }
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
            // An answer with no events where the cache has some is more often a broken
            // export than an emptied calendar: keep the last good data and warn, and
            // take it only when it is said three times in a row. Its validators are not
            // kept, so the next fetch asks for the whole body again.
            Ok(Some((calendar, _)))
                if calendar.events.is_empty()
                    && state.event_count > 0
                    && state.empty_answers + 1 < cache::EMPTY_ANSWERS_TO_REPLACE =>
            {
                let count = state.empty_answers + 1;
                breaker.record_success();
                tracing::warn!(
                    source_id = id,
                    count,
                    "the feed returned no events; kept the last good data"
                );
                (
                    WriteOp::Status(StatusUpdate::Empty { at, count, breaker }),
                    OutcomeKind::Failed {
                        code: cache::EMPTY_FEED.into(),
                        message: cache::empty_feed_message(count),
                    },
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

    /// One CalDAV calendar through `caldav::sync` (its breaker, health and event writes),
    /// then the same change signals the writer sends after a commit.
    async fn sync_caldav(&self, id: i64, settings: &Settings) -> OutcomeKind {
        let deps = &self.inner.deps;
        let env = caldav::sync::SyncEnv {
            pool: &deps.pool,
            secrets: &deps.secrets,
            fetch: deps.fetcher.config(),
            settings,
        };
        let outcome = caldav::sync::sync_source(env, id, &self.inner.cancel).await;
        self.inner
            .changes
            .committed(matches!(&outcome, Ok(r) if r.updated));
        match outcome {
            Ok(r) if r.updated => OutcomeKind::Updated { events: r.events },
            Ok(_) => OutcomeKind::NotModified,
            Err(_) if self.inner.cancel.is_cancelled() => OutcomeKind::Cancelled,
            Err(e) => OutcomeKind::Failed {
                code: e.health_error().kind.code().into(),
                message: e.to_string(),
            },
        }
    }

    async fn fetch_and_parse(
        &self,
        rs: &ResolvedSource,
        state: &FeedState,
    ) -> Result<Option<(Calendar, Validators)>, FetchError> {
        let deps = &self.inner.deps;
        // Without cached data a 304 would leave the source empty: ask unconditionally.
        let validators = if state.meta.is_some() {
            state.validators.clone()
        } else {
            Validators::default()
        };
        fetch_and_parse(
            &deps.fetcher,
            &deps.parser,
            rs.source.id,
            &rs.target,
            &validators,
            &self.inner.cancel,
        )
        .await
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
}

/// One fetch of `target` through the shared client and its policies, then the parse on
/// the blocking pool: the one way a feed is read, by every refresh and by the probe
/// that checks a location before it is added ([`crate::probe`]). `Ok(None)`: not
/// modified since `validators`.
pub async fn fetch_and_parse(
    fetcher: &Fetcher,
    parser: &ParseFn,
    source_id: i64,
    target: &Target,
    validators: &Validators,
    cancel: &CancellationToken,
) -> Result<Option<(Calendar, Validators)>, FetchError> {
    let id = source_id;
    let fetched = fetcher.fetch(id, target, validators, cancel).await?;
    let (body, validators) = match fetched {
        Fetched::NotModified => return Ok(None),
        Fetched::Body { body, validators } => (body, validators),
    };
    let parser = parser.clone();
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
