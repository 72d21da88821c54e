//! The backend: the one object that owns the app's resources and long-lived tasks.
//!
//! It owns the SQLite pool, the task registry, one root `CancellationToken` and a
//! `watch` channel of agenda snapshots that the tray, the window and the reminder
//! scheduler read. Every loop it starts selects on the token; [`Backend::shutdown`]
//! cancels, waits for the tasks with a bound and closes the pool (checkpointing the WAL).
//! It is idempotent, so Quit, SIGTERM and the exit fallback can all call it.
//!
//! No loop ends on a recoverable error: a failed step is logged, recorded in
//! [`Backend::loop_health`] and retried after a capped exponential backoff, or at once
//! when the data changes. The refresh scheduler keeps its own backoff; its health is
//! mirrored there. Diagnostics and the tray read the loop health directly, and
//! `calendarbot status` (another process) reads what the app publishes of it
//! ([`published_loops`]).
//!
//! Its fields are private: the window and the command line go through [`crate::api`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::agenda::{self, SourceCalendar};
use crate::clock::{system_zone, Clock};
use crate::config_watch::{Change, ConfigWatch};
use crate::ctx::Ctx;
use crate::fetch::{FetchError, Fetcher};
use crate::hide::HideRules;
use crate::model::{Occurrence, PartStat, Window};
use crate::monitor::Tasks;
use crate::paths::Paths;
use crate::refresh::{self, Deps, Pipeline, PipelineOptions, SchedulerHealth};
use crate::reminders::{
    Notifier, NotifierEvent, ReminderConfig, ReminderHandle, Scheduler, ShellRequest,
};
use crate::secrets::{Preference, SecretStore};
use crate::settings::Settings;
use crate::{cache, db, demo, ics, sources, system_events};

/// Days after today the live agenda covers (the tray shows today; reminders and the
/// window's week view need the rest).
pub const AGENDA_DAYS: u64 = 8;
/// The longest wait for midnight on a clock that cannot report suspends or jumps (the
/// system clock can: see [`Clock::sleep_until`]).
const MAX_CLOCK_SLEEP: Duration = Duration::from_secs(3600);
/// A failing background loop retries after this, doubling (with jitter) per failure...
const RETRY_BASE: Duration = Duration::from_secs(2);
/// ...up to this.
const RETRY_CAP: Duration = Duration::from_secs(300);
/// The agenda loop's name in [`Backend::loop_health`].
pub const AGENDA_LOOP: &str = "agenda";
/// The refresh scheduler's name in [`Backend::loop_health`] (its own health,
/// [`crate::refresh::SchedulerHealth`], is mirrored there).
pub const SCHEDULER_LOOP: &str = "refresh scheduler";
/// Where the running app publishes [`Backend::loop_health`] for `calendarbot status`
/// (a file in the data directory, beside the task snapshot; removed at shutdown).
const LOOPS_FILE: &str = "loops.json";

/// A background loop's health: failing (with the error and the next try) or fine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct LoopHealth {
    pub name: String,
    /// Failures in a row; 0 while it works.
    pub failures: u32,
    pub last_error: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    /// When the loop tries again (it also tries at once when the data changes).
    pub retry_at: Option<DateTime<Utc>>,
}

impl LoopHealth {
    /// One line for `calendarbot status`, or None while the loop works.
    pub fn problem(&self) -> Option<String> {
        if self.failures == 0 {
            return None;
        }
        let at = |t: Option<DateTime<Utc>>| {
            t.map_or_else(
                || "unknown".into(),
                |t| t.format("%H:%M:%S UTC").to_string(),
            )
        };
        Some(format!(
            "background task '{}' is failing since {} ({} in a row: {}); next try {}",
            self.name,
            at(self.failing_since),
            self.failures,
            self.last_error.as_deref().unwrap_or("unknown error"),
            at(self.retry_at)
        ))
    }
}

/// The loop health the app running on `paths` last published (empty when none was).
/// Only meaningful while that app runs: check its task snapshot first.
pub fn published_loops(paths: &Paths) -> Vec<LoopHealth> {
    std::fs::read(paths.data_dir.join(LOOPS_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The delay before the `failures`-th retry of a background loop.
pub fn retry_delay(failures: u32) -> Duration {
    crate::fetch::backoff(RETRY_BASE, failures.max(1)).min(RETRY_CAP)
}

/// What the tray, window and scheduler see: the occurrences of the agenda window.
#[derive(Debug, Clone)]
pub struct AgendaSnapshot {
    pub computed_at: DateTime<Utc>,
    pub tz: Tz,
    pub window: Window,
    /// Shared with the reminder scheduler's channel (one allocation per recompute).
    pub occurrences: Arc<Vec<Occurrence>>,
    /// No source is configured: the bundled demo calendar is shown.
    pub demo: bool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// Its message names the directory and the fault (read-only, full) already.
    #[error("{0}")]
    DataDir(std::io::Error),
    #[error(transparent)]
    Store(#[from] db::StoreError),
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error("the demo calendar does not parse: {0}")]
    Demo(#[from] ics::FeedError),
    #[error(transparent)]
    Cache(#[from] cache::CacheError),
    #[error(transparent)]
    Sources(#[from] sources::SourceError),
    #[error("cannot start the HTTP client: {0}")]
    Http(#[from] FetchError),
}

pub struct Backend {
    /// Paths, pool, clock and secrets, as the operations of [`crate::api`] take them.
    ctx: Ctx,
    tasks: Tasks,
    /// The one shared HTTP client (also used by "test connection").
    fetcher: Arc<Fetcher>,
    /// The fetch pipeline: producers, the cache writer and the refresh scheduler.
    pipeline: Pipeline,
    token: CancellationToken,
    agenda: watch::Sender<Arc<AgendaSnapshot>>,
    /// The same occurrences for the reminder scheduler, and its settings.
    reminder_agenda: watch::Sender<Arc<Vec<Occurrence>>>,
    reminder_config: watch::Sender<ReminderConfig>,
    /// Set once the reminder scheduler runs (it needs a notification server).
    reminders: OnceLock<ReminderHandle>,
    /// Poked whenever cached data or settings change; the agenda loop recomputes.
    changed: Arc<Notify>,
    /// The health of the loops that retry ([`LoopHealth`]), by name.
    loops: watch::Sender<Vec<LoopHealth>>,
    /// Serialises the writes of the published loop health.
    publishing: Mutex<()>,
    shut_down: AtomicBool,
}

impl Backend {
    /// Opens the data directory and database and computes the first agenda from the
    /// cache (no network), so the tray can be populated at once.
    pub async fn open(paths: Paths, clock: Arc<dyn Clock>) -> Result<Arc<Self>, BackendError> {
        paths.create().map_err(BackendError::DataDir)?;
        let pool = db::open_store(&paths, db::Access::Write).await?;
        let deps = pipeline_deps(&paths, pool.clone(), clock.clone()).await?;
        let secrets = deps.secrets.clone();
        let fetcher = deps.fetcher.clone();
        let tasks = Tasks::publishing_to(paths.runtime_status());
        let token = CancellationToken::new();
        let pipeline = Pipeline::start(deps, token.clone(), &tasks);
        let now = clock.now();
        let empty = AgendaSnapshot {
            computed_at: now,
            tz: system_zone(),
            window: Window { from: now, to: now },
            occurrences: Arc::default(),
            demo: false,
        };
        let (agenda, _) = watch::channel(Arc::new(empty));
        let (reminder_agenda, _) = watch::channel(Arc::default());
        let (reminder_config, _) = watch::channel(ReminderConfig::new(
            &Settings::load(&pool).await?,
            system_zone(),
        ));
        let changed = Arc::new(Notify::new());
        let ctx = Ctx::live(
            paths,
            pool,
            clock,
            secrets,
            changed.clone(),
            pipeline.clone(),
        );
        let backend = Arc::new(Self {
            ctx,
            tasks,
            fetcher,
            pipeline,
            token,
            agenda,
            reminder_agenda,
            reminder_config,
            reminders: OnceLock::new(),
            changed,
            loops: watch::channel(Vec::new()).0,
            publishing: Mutex::new(()),
            shut_down: AtomicBool::new(false),
        });
        backend.recompute_agenda().await?;
        Ok(backend)
    }

    /// What the operations of [`crate::api`] take.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    pub fn paths(&self) -> &Paths {
        self.ctx.paths()
    }

    pub fn pool(&self) -> &SqlitePool {
        self.ctx.pool()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.ctx.clock()
    }

    /// The task registry: every task of the app is spawned through it.
    pub fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    pub(crate) fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// The root cancellation token: child tokens are handed to every loop.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Changes after every cache write (source health may have changed).
    pub fn subscribe_health(&self) -> watch::Receiver<u64> {
        self.pipeline.subscribe_health()
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<AgendaSnapshot>> {
        self.agenda.subscribe()
    }

    pub fn agenda(&self) -> Arc<AgendaSnapshot> {
        self.agenda.borrow().clone()
    }

    /// Tells the agenda loop that the cache or the settings changed.
    pub fn notify_changed(&self) {
        self.changed.notify_one();
    }

    /// The loops that failed at least once, with their state now.
    pub fn loop_health(&self) -> Vec<LoopHealth> {
        self.loops.borrow().clone()
    }

    /// Changes whenever a loop fails or recovers.
    pub fn subscribe_loops(&self) -> watch::Receiver<Vec<LoopHealth>> {
        self.loops.subscribe()
    }

    /// Records a failed step of the loop `name` and returns how long it should wait
    /// before trying again.
    pub fn loop_failed(&self, name: &str, error: &dyn std::fmt::Display) -> Duration {
        let now = self.clock().now();
        let mut delay = RETRY_CAP;
        self.loops.send_modify(|loops| {
            let i = loops
                .iter()
                .position(|l| l.name == name)
                .unwrap_or_else(|| {
                    loops.push(LoopHealth {
                        name: name.to_string(),
                        failures: 0,
                        last_error: None,
                        failing_since: None,
                        retry_at: None,
                    });
                    loops.len() - 1
                });
            let entry = &mut loops[i];
            entry.failures += 1;
            delay = retry_delay(entry.failures);
            entry.last_error = Some(error.to_string());
            entry.failing_since.get_or_insert(now);
            entry.retry_at = chrono::Duration::from_std(delay).ok().map(|d| now + d);
            tracing::warn!(
                task = name,
                failures = entry.failures,
                error = %error,
                "background step failed; retrying in {delay:?}"
            );
        });
        self.publish_loops();
        delay
    }

    /// Copies the refresh scheduler's health into the loop health, under
    /// [`SCHEDULER_LOOP`] (the scheduler keeps its own backoff: its next round is the retry).
    fn mirror_scheduler(&self, h: &SchedulerHealth) {
        if h.failures == 0 {
            self.loop_succeeded(SCHEDULER_LOOP);
            return;
        }
        let now = self.clock().now();
        self.loops.send_modify(|loops| {
            let i = match loops.iter().position(|l| l.name == SCHEDULER_LOOP) {
                Some(i) => i,
                None => {
                    loops.push(LoopHealth {
                        name: SCHEDULER_LOOP.to_string(),
                        failures: 0,
                        last_error: None,
                        failing_since: None,
                        retry_at: None,
                    });
                    loops.len() - 1
                }
            };
            let entry = &mut loops[i];
            entry.failures = h.failures;
            entry.last_error.clone_from(&h.last_error);
            entry.failing_since.get_or_insert(now);
            entry.retry_at = h.next_round;
        });
        self.publish_loops();
    }

    /// Mirrors the refresh scheduler's health into the loop health until shutdown.
    async fn scheduler_health_loop(self: Arc<Self>) {
        let mut scheduler = self.pipeline.scheduler_health();
        loop {
            tokio::select! {
                () = self.token.cancelled() => return,
                changed = scheduler.changed() => if changed.is_err() { return },
            }
            let health = scheduler.borrow_and_update().clone();
            self.mirror_scheduler(&health);
        }
    }

    /// Writes the loop health where [`published_loops`] reads it, after every change
    /// and before the caller goes on (so `status` run next sees it). A few hundred
    /// bytes, written only when a loop fails or recovers; the lock keeps the last write
    /// the newest state.
    fn publish_loops(&self) {
        let _one_writer = self.publishing.lock().unwrap_or_else(|e| e.into_inner());
        let loops = self.loops.borrow().clone();
        if let Err(e) = write_loops(&self.paths().data_dir.join(LOOPS_FILE), &loops) {
            tracing::warn!(error = %e, "cannot publish the loop health");
        }
    }

    /// Records a successful step of the loop `name` (after failures: it recovered).
    pub fn loop_succeeded(&self, name: &str) {
        let recovered = self.loops.send_if_modified(|loops| {
            let Some(entry) = loops.iter_mut().find(|l| l.name == name && l.failures > 0) else {
                return false;
            };
            tracing::info!(task = name, failures = entry.failures, "recovered");
            entry.failures = 0;
            entry.failing_since = None;
            entry.retry_at = None;
            true
        });
        if recovered {
            self.publish_loops();
        }
    }

    /// Starts the background loops: the refresh scheduler (which refreshes every
    /// source once at start, after the tray is already populated from the cache) and
    /// the agenda loop; and renews the autostart entry if start at login is on (this
    /// copy's path may have moved). An entry is only removed when the setting is turned
    /// off, never at a start: a copy run on another data directory must not drop it.
    pub fn start(self: &Arc<Self>) {
        self.pipeline.spawn_scheduler();
        let this = self.clone();
        self.tasks
            .spawn(AGENDA_LOOP, async move { this.agenda_loop().await });
        self.watch_system_events();
        self.watch_config();
        // Replaces a file an earlier run may have left.
        self.publish_loops();
        let this = self.clone();
        self.tasks.spawn("scheduler health", async move {
            this.scheduler_health_loop().await
        });
        let this = self.clone();
        self.tasks.spawn("autostart", async move {
            let settings = Settings::load(this.pool())
                .await
                .map_err(|e| e.to_string())?;
            if settings.autostart {
                crate::autostart::follow_setting(true, this.paths())
                    .map_err(|e| format!("writing the autostart entry: {e}"))?;
            }
            Ok::<(), String>(())
        });
    }

    /// After a resume from suspend, recompute reminders and refresh the feeds (which may
    /// have changed meanwhile); when the network comes back, refresh the feeds. Without
    /// a system bus neither fires: the wall-clock timers and the refresh schedule remain.
    fn watch_system_events(self: &Arc<Self>) {
        let this = self.clone();
        self.tasks.spawn("system events", async move {
            let (resumed, online) = (this.clone(), this.clone());
            let watched = this
                .tasks
                .blocking(move || {
                    let resume = system_events::watch_resume(move || {
                        if let Some(reminders) = resumed.reminders() {
                            reminders.wake();
                        }
                        resumed.refresh_now();
                    });
                    let network = system_events::watch_network(move || online.refresh_now());
                    (resume, network)
                })
                .await;
            if let Ok((resume, network)) = watched {
                if let Err(e) = resume {
                    tracing::info!(error = %e, "no resume signal from logind");
                }
                if let Err(e) = network {
                    tracing::info!(error = %e, "no network signal from NetworkManager");
                }
            }
        });
    }

    /// A source or setting changed by another process (`calendarbot sources add`) is
    /// applied at once, as the window's own changes are: the agenda is recomputed, and
    /// after a change of the sources they are refreshed (a new one is fetched; the
    /// others answer 304). See [`crate::config_watch`].
    fn watch_config(self: &Arc<Self>) {
        let this = self.clone();
        self.tasks.spawn("config watch", async move {
            let mut watch = ConfigWatch::start(this.pool().clone(), &this.paths().database()).await;
            loop {
                let change = tokio::select! {
                    () = this.token.cancelled() => return,
                    change = watch.changed() => change,
                };
                // What the same change made from this app's window would do.
                match change {
                    Change::Sources => this.ctx().source_added(),
                    Change::Settings => this.ctx().data_changed(),
                }
            }
        });
    }

    /// "Refresh now" from the tray or the window.
    pub fn refresh_now(&self) {
        self.pipeline.refresh_now();
    }

    /// Starts the reminder scheduler with a notifier; returns the requests it makes of
    /// the shell (open the window, join a link). Called once, by the app, after it
    /// connected to the notification server.
    pub fn start_reminders(
        &self,
        notifier: Arc<dyn Notifier>,
        events: mpsc::UnboundedReceiver<NotifierEvent>,
    ) -> mpsc::UnboundedReceiver<ShellRequest> {
        let scheduler = Scheduler::new(
            self.pool().clone(),
            self.clock().clone(),
            notifier,
            events,
            self.reminder_agenda.subscribe(),
            self.reminder_config.subscribe(),
            self.token.clone(),
        );
        let (handle, requests) = scheduler.spawn(&self.tasks);
        let _ = self.reminders.set(handle);
        requests
    }

    /// The running reminder scheduler, if notifications are available.
    pub fn reminders(&self) -> Option<&ReminderHandle> {
        self.reminders.get()
    }

    /// Recomputes the agenda when data changes and at the next local midnight (the
    /// window is anchored on "today"); otherwise it sleeps. A failed recompute (the
    /// database is busy, damaged or gone) keeps the last agenda and is retried.
    async fn agenda_loop(self: Arc<Self>) {
        let mut cached = self.pipeline.subscribe();
        let mut retry: Option<Duration> = None;
        loop {
            let snapshot = self.agenda();
            let rollover = snapshot.window.from + chrono::Duration::days(1);
            tokio::select! {
                () = self.token.cancelled() => return,
                () = self.changed.notified() => {}
                changed = cached.changed() => if changed.is_err() { return },
                () = self.clock().sleep_until(Some(rollover), MAX_CLOCK_SLEEP), if retry.is_none() => {}
                () = tokio::time::sleep(retry.unwrap_or_default()), if retry.is_some() => {}
            }
            retry = match self.recompute_agenda().await {
                Ok(()) => {
                    self.loop_succeeded(AGENDA_LOOP);
                    None
                }
                Err(e) => Some(self.loop_failed(AGENDA_LOOP, &e)),
            };
        }
    }

    /// Occurrences of every calendar in `window`, expanded in `tz` on the blocking pool.
    pub async fn occurrences_between(
        &self,
        window: Window,
        tz: Tz,
    ) -> Result<Vec<Occurrence>, BackendError> {
        let inputs = AgendaInputs::load(self.pool()).await?;
        Ok(self
            .tasks
            .blocking(move || inputs.shown(window, tz))
            .await
            .unwrap_or_default())
    }

    /// Expands the calendars over [today, today + AGENDA_DAYS) and publishes the result.
    pub async fn recompute_agenda(&self) -> Result<(), BackendError> {
        let inputs = AgendaInputs::load(self.pool()).await?;
        let demo = inputs.demo;
        let tz = system_zone();
        let reminder_config = ReminderConfig::new(&inputs.settings, tz)
            .with_sources(&sources::list(self.pool()).await?);
        let now = self.clock().now();
        let today = now.with_timezone(&tz).date_naive();
        let window = Window {
            from: agenda::start_of_day(today, tz),
            to: agenda::start_of_day(today + Days::new(AGENDA_DAYS), tz),
        };
        let report = self
            .tasks
            .blocking(move || inputs.shown_report(window, tz))
            .await
            .unwrap_or_default();
        tracing::debug!(count = report.occurrences.len(), "agenda recomputed");
        self.record_cuts(&report.cuts).await;
        let occurrences = Arc::new(report.occurrences);
        self.reminder_config.send_if_modified(|c| {
            let changed = *c != reminder_config;
            *c = reminder_config;
            changed
        });
        self.reminder_agenda.send_replace(occurrences.clone());
        self.agenda.send_replace(Arc::new(AgendaSnapshot {
            computed_at: now,
            tz,
            window,
            occurrences,
            demo,
        }));
        Ok(())
    }

    /// Writes what the agenda's budget cut to each source's health when it changed, so
    /// `status`, the Sources page and the tray say the calendar is shown in part.
    async fn record_cuts(&self, cuts: &[agenda::SourceCut]) {
        let mut words: Vec<(i64, String)> = cuts
            .iter()
            .filter_map(|c| Some((c.source_id?, cut_words(&c.truncation))))
            .collect();
        words.sort();
        let recorded: Vec<(i64, String)> = match cache::feed_states(self.pool()).await {
            Ok(states) => states
                .into_iter()
                .filter_map(|s| Some((s.source_id, s.cut?)))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "reading the recorded agenda cuts failed");
                return;
            }
        };
        if recorded != words {
            for (id, text) in &words {
                tracing::warn!(source_id = id, "{text}");
            }
            if let Err(e) = cache::set_cuts(self.pool(), &words).await {
                tracing::warn!(error = %e, "recording the agenda's cuts failed");
            }
        }
    }

    /// Cancels every task, waits for them at most `bound`, then closes the pool
    /// (checkpointing the WAL). Safe to call more than once: later calls return at once.
    pub async fn shutdown(&self, bound: Duration) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::info!("shutting down");
        self.token.cancel();
        self.tasks.tracker().close();
        if tokio::time::timeout(bound, self.tasks.tracker().wait())
            .await
            .is_err()
        {
            let stuck: Vec<String> = self
                .tasks
                .report()
                .active
                .into_iter()
                .map(|t| t.name)
                .collect();
            tracing::warn!(
                ?stuck,
                "tasks did not stop within {bound:?}; closing anyway"
            );
        }
        self.tasks.unpublish();
        let _ = std::fs::remove_file(self.paths().data_dir.join(LOOPS_FILE));
        db::close(self.pool()).await;
        tracing::info!("shutdown complete");
    }
}

/// Writes `loops` to `path`: a temporary file renamed over the old one, so a reader
/// never sees half of it.
fn write_loops(path: &std::path::Path, loops: &[LoopHealth]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(loops).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, path)
}

/// What every agenda of the configured calendars is made from: the tray's, the
/// window's, the reminders', and `calendarbot next` and `agenda`'s (without `--ics`).
/// Read from SQLite only, never the network.
pub struct AgendaInputs {
    pub calendars: Vec<SourceCalendar>,
    /// No source is configured: the demo calendar is shown.
    pub demo: bool,
    pub settings: Settings,
    /// The user's hide rules ([`crate::hide`]).
    pub hidden: HideRules,
}

impl AgendaInputs {
    pub async fn load(pool: &SqlitePool) -> Result<Self, BackendError> {
        let (calendars, demo) = load_calendars(pool).await?;
        Ok(Self {
            calendars,
            demo,
            settings: Settings::load(pool).await?,
            hidden: HideRules::load(pool).await?,
        })
    }

    /// The occurrences in `window`, expanded in `tz`, that the user sees: hidden ones
    /// are left out, and declined ones when `events.declined` is `hide` (otherwise the
    /// window dims them). The one filter of every surface.
    pub fn shown(&self, window: Window, tz: Tz) -> Vec<Occurrence> {
        self.shown_report(window, tz).occurrences
    }

    /// [`Self::shown`] with what the agenda's budget cut, per source.
    pub fn shown_report(&self, window: Window, tz: Tz) -> agenda::Agenda {
        let mut report = agenda::expand_all_report(&self.calendars, window, tz, &self.settings);
        let hide_declined = self.settings.hide_declined;
        if hide_declined || !self.hidden.is_empty() {
            report.occurrences.retain(|o| {
                let declined = hide_declined && o.my_status == Some(PartStat::Declined);
                !declined && !self.hidden.hides(o)
            });
        }
        report
    }
}

/// The calendars to show, from the cache; the demo calendar while no source is
/// configured (the flag says so). Reads only SQLite, never the network.
pub async fn load_calendars(
    pool: &SqlitePool,
) -> Result<(Vec<SourceCalendar>, bool), BackendError> {
    if sources::list(pool).await?.is_empty() {
        let demo = SourceCalendar {
            source_id: None,
            name: demo::DEMO_NAME.to_string(),
            calendar: ics::parse_feed(demo::DEMO_ICS.as_bytes())?,
        };
        return Ok((vec![demo], true));
    }
    let calendars = cache::load_calendars(pool)
        .await?
        .into_iter()
        .map(|mut c| {
            // The colour the user gave the calendar wins over the feed's own
            // (X-APPLE-CALENDAR-COLOR); an event's COLOR still wins over both.
            if c.source.color.is_some() {
                c.calendar.meta.color = c.source.color.clone();
            }
            SourceCalendar {
                source_id: Some(c.source.id),
                name: c.source.name,
                calendar: c.calendar,
            }
        })
        .collect();
    Ok((calendars, false))
}

/// What the fetch pipeline needs: the shared HTTP client (configured from the
/// settings), the secrets store and the real parser. Used by the app and `sync`.
pub async fn pipeline_deps(
    paths: &Paths,
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
) -> Result<Deps, BackendError> {
    let settings = Settings::load(&pool).await?;
    let fetcher = crate::probe::fetcher(&settings)?;
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::Auto);
    Ok(Deps {
        pool,
        fetcher: Arc::new(fetcher),
        secrets: Arc::new(secrets),
        clock,
        parser: refresh::default_parser(),
        options: PipelineOptions::default(),
    })
}

/// What a cut means for the user, in words.
fn cut_words(t: &crate::ics::budget::Truncation) -> String {
    let reason = t.reason.as_deref().unwrap_or("its budget was reached");
    format!(
        "the agenda shows only part of this calendar: {} event(s) cut, {reason}",
        t.events
    )
}
