//! The backend: the one object that owns the app's resources and long-lived tasks.
//!
//! It owns the SQLite pool, the task registry, one root `CancellationToken` and a
//! `watch` channel of agenda snapshots that the tray, the window and the reminder
//! scheduler read. Every loop it starts selects on the token; [`Backend::shutdown`]
//! cancels, waits for the tasks with a bound and closes the pool (checkpointing the WAL).
//! It is idempotent, so Quit, SIGTERM and the exit fallback can all call it.
//!
//! No loop ends on a recoverable error: a failed step is logged, recorded in
//! [`Backend::loop_health`] (Diagnostics and the tray show it) and retried after a
//! capped exponential backoff, or at once when the data changes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::agenda::{self, SourceCalendar};
use crate::clock::{system_zone, Clock};
use crate::config_watch::ConfigWatch;
use crate::fetch::{ErrorKind, FetchConfig, FetchError, Fetched, Fetcher, Validators};
use crate::model::{Occurrence, PartStat, Window};
use crate::monitor::Tasks;
use crate::paths::Paths;
use crate::refresh::{self, Deps, Pipeline, PipelineOptions};
use crate::reminders::{
    Notifier, NotifierEvent, ReminderConfig, ReminderHandle, Scheduler, ShellRequest,
};
use crate::secrets::{Preference, SecretStore};
use crate::settings::Settings;
use crate::sources::{provider_name, Auth, Location, Target};
use crate::{cache, db, demo, ics, sources, system_events, window_policy};

/// Days after today the live agenda covers (the tray shows today; reminders and the
/// window's week view need the rest).
const AGENDA_DAYS: u64 = 8;
/// The longest wait for midnight on a clock that cannot report suspends or jumps (the
/// system clock can: see [`Clock::sleep_until`]).
const MAX_CLOCK_SLEEP: Duration = Duration::from_secs(3600);
/// A failing background loop retries after this, doubling (with jitter) per failure...
const RETRY_BASE: Duration = Duration::from_secs(2);
/// ...up to this.
const RETRY_CAP: Duration = Duration::from_secs(300);
/// The agenda loop's name in [`Backend::loop_health`].
pub const AGENDA_LOOP: &str = "agenda";

/// A background loop's health: failing (with the error and the next try) or fine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct LoopHealth {
    pub name: String,
    /// Failures in a row; 0 while it works.
    pub failures: u32,
    pub last_error: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    /// When the loop tries again (it also tries at once when the data changes).
    pub retry_at: Option<DateTime<Utc>>,
}

/// The delay before the `failures`-th retry of a background loop.
pub fn retry_delay(failures: u32) -> Duration {
    crate::fetch::backoff(RETRY_BASE, failures.max(1)).min(RETRY_CAP)
}

/// What "Test connection" found: one fetch and parse, nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ConnectionTest {
    pub ok: bool,
    pub provider: String,
    pub events: usize,
    pub message: String,
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
    pub paths: Paths,
    pub pool: SqlitePool,
    pub clock: Arc<dyn Clock>,
    pub tasks: Tasks,
    pub secrets: Arc<SecretStore>,
    /// The one shared HTTP client (also used by "test connection").
    pub fetcher: Arc<Fetcher>,
    /// The fetch pipeline: producers, the cache writer and the refresh scheduler.
    pub pipeline: Pipeline,
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
        let backend = Arc::new(Self {
            paths,
            pool,
            clock,
            tasks,
            secrets,
            fetcher,
            pipeline,
            token,
            agenda,
            reminder_agenda,
            reminder_config,
            reminders: OnceLock::new(),
            changed: Arc::new(Notify::new()),
            loops: watch::channel(Vec::new()).0,
            shut_down: AtomicBool::new(false),
        });
        backend.recompute_agenda().await?;
        Ok(backend)
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
        let now = self.clock.now();
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
        delay
    }

    /// Records a successful step of the loop `name` (after failures: it recovered).
    pub fn loop_succeeded(&self, name: &str) {
        self.loops.send_if_modified(|loops| {
            let Some(entry) = loops.iter_mut().find(|l| l.name == name && l.failures > 0) else {
                return false;
            };
            tracing::info!(task = name, failures = entry.failures, "recovered");
            entry.failures = 0;
            entry.failing_since = None;
            entry.retry_at = None;
            true
        });
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
        let this = self.clone();
        self.tasks.spawn("autostart", async move {
            let settings = Settings::load(&this.pool)
                .await
                .map_err(|e| e.to_string())?;
            if settings.autostart {
                crate::autostart::follow_setting(true, &this.paths)
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
    /// applied at once: the agenda is recomputed and the sources refreshed (a new one
    /// is fetched; the others answer 304). See [`crate::config_watch`].
    fn watch_config(self: &Arc<Self>) {
        let this = self.clone();
        self.tasks.spawn("config watch", async move {
            let mut watch = ConfigWatch::start(this.pool.clone(), &this.paths.database()).await;
            loop {
                tokio::select! {
                    () = this.token.cancelled() => return,
                    () = watch.changed() => {}
                }
                this.notify_changed();
                this.refresh_now();
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
            self.pool.clone(),
            self.clock.clone(),
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
                () = self.clock.sleep_until(Some(rollover), MAX_CLOCK_SLEEP), if retry.is_none() => {}
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
        let calendars = load_calendars(&self.pool).await?.0;
        let settings = Settings::load(&self.pool).await?;
        Ok(self
            .tasks
            .blocking(move || shown(&calendars, window, tz, &settings))
            .await
            .unwrap_or_default())
    }

    /// "Test connection": fetches and parses `location` once through the shared client
    /// and its policies, storing nothing. File errors all read the same (see
    /// [`window_policy`]: the window must not learn which paths exist).
    pub async fn test_location(
        &self,
        location: Location,
        auth: Auth,
    ) -> Result<ConnectionTest, BackendError> {
        let provider = provider_name(&location).to_string();
        let is_file = matches!(location, Location::File(_));
        let target = match location {
            Location::File(path) => Target::File { path },
            Location::Url { url, .. } => Target::Http { url, auth },
        };
        let fail = |message: String| ConnectionTest {
            ok: false,
            provider: provider.clone(),
            events: 0,
            message,
        };
        let fetched = self
            .fetcher
            .fetch(0, &target, &Validators::default(), &self.token)
            .await;
        let body = match fetched {
            Ok(Fetched::Body { body, .. }) => body,
            Ok(Fetched::NotModified) => {
                return Ok(fail(
                    "the server answered 'not modified' to a first request".into(),
                ))
            }
            Err(e) if is_file && matches!(e.kind, ErrorKind::File(_)) => {
                return Ok(fail(window_policy::FILE_REFUSED.into()))
            }
            Err(e) => return Ok(fail(e.to_string())),
        };
        let parsed = self.tasks.blocking(move || ics::parse_feed(&body)).await;
        Ok(match parsed {
            Err(_) => fail("the feed could not be read".into()),
            Ok(Err(e)) => fail(e.to_string()),
            Ok(Ok(calendar)) => ConnectionTest {
                ok: true,
                message: format!("{provider} calendar with {} events", calendar.events.len()),
                events: calendar.events.len(),
                provider,
            },
        })
    }

    /// Expands the calendars over [today, today + AGENDA_DAYS) and publishes the result.
    pub async fn recompute_agenda(&self) -> Result<(), BackendError> {
        let (calendars, demo) = load_calendars(&self.pool).await?;
        let settings = Settings::load(&self.pool).await?;
        let tz = system_zone();
        let reminder_config =
            ReminderConfig::new(&settings, tz).with_sources(&sources::list(&self.pool).await?);
        let now = self.clock.now();
        let today = now.with_timezone(&tz).date_naive();
        let window = Window {
            from: agenda::start_of_day(today, tz),
            to: agenda::start_of_day(today + Days::new(AGENDA_DAYS), tz),
        };
        let occurrences = self
            .tasks
            .blocking(move || shown(&calendars, window, tz, &settings))
            .await
            .unwrap_or_default();
        tracing::debug!(count = occurrences.len(), "agenda recomputed");
        let occurrences = Arc::new(occurrences);
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
        db::close(&self.pool).await;
        tracing::info!("shutdown complete");
    }
}

/// The occurrences the tray, the window and the reminders see: declined ones are
/// dropped when `events.declined` is `hide` (otherwise the window dims them).
fn shown(
    calendars: &[SourceCalendar],
    window: Window,
    tz: Tz,
    settings: &Settings,
) -> Vec<Occurrence> {
    let mut list = agenda::expand_all(calendars, window, tz, settings);
    if settings.hide_declined {
        list.retain(|o| o.my_status != Some(PartStat::Declined));
    }
    list
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
    let fetcher = Fetcher::new(FetchConfig::default())?;
    fetcher.apply_settings(&settings);
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
