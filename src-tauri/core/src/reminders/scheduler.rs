//! The reminder loop: the mini-redis purge-task shape.
//!
//! Each round reads the wall clock (the injected [`Clock`]), asks the pure planner what is
//! due, claims it in the ledger, shows it, then sleeps until the next due instant with
//! [`Clock::sleep_until`]: on the system clock a wall-clock timer that fires on time across
//! a suspend and wakes when the clock is set, so nothing ticks while nothing is due; on
//! a clock that cannot report changes the sleep is capped at the sentinel. It also wakes
//! early on an agenda change, a config change, a notification action,
//! [`ReminderHandle::wake`] (logind's `PrepareForSleep(false)`, a time-zone change) and
//! cancellation.
//!
//! Every round recomputes from wall-clock time, so a suspend or a clock jump needs no
//! special path: the round after it sees the instants as they are. A wall/monotonic
//! mismatch is only logged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::model::Occurrence;
use crate::monitor::Tasks;

use super::content;
use super::ledger::{Claim, Ledger, LedgerKey};
use super::notifier::{Action, NotificationId, Notifier, NotifierEvent, NotifyError};
use super::plan::{plan, Plan, ReminderConfig};

/// The longest sleep on a clock that cannot report suspends or jumps (see
/// [`Clock::sleep_until`]): they are noticed within this.
pub const SENTINEL: StdDuration = StdDuration::from_secs(60);
/// After a database error, try again this soon.
const RETRY: Duration = Duration::seconds(5);
/// How many shown notifications are remembered for their actions.
const SHOWN_CAP: usize = 512;
/// A wall-clock move this much larger or smaller than the monotonic one is a jump/resume.
const JUMP_THRESHOLD: Duration = Duration::seconds(2);
/// Ledger rows of occurrences that started this long ago are pruned at start-up.
const PRUNE_AFTER: Duration = Duration::days(3);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReminderError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// What the scheduler asks of the shell after a user acts on a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellRequest {
    /// The notification body was clicked: open (create) the main window.
    OpenWindow,
    /// "Join" was pressed: open this meeting link (already checked by the engine to be
    /// http(s) or a known meeting scheme).
    Join { url: String },
}

/// How long to pause notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseFor {
    OneHour,
    /// Until the next local midnight in the configured zone.
    UntilTomorrow,
    Until(DateTime<Utc>),
}

/// What the loop is doing; tests and diagnostics watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Completed rounds.
    pub rounds: u64,
    /// Wall-clock instant of the next reminder, if any.
    pub next_due: Option<DateTime<Utc>>,
    /// The latest monotonic instant the loop sleeps until (the due instant, or the
    /// sentinel on a clock that cannot report changes).
    pub wake_at: tokio::time::Instant,
    /// Notifications shown so far by this scheduler.
    pub shown: u64,
}

/// Everything the loop needs; build it and call [`Scheduler::spawn`].
pub struct Scheduler {
    pub pool: SqlitePool,
    pub clock: Arc<dyn Clock>,
    pub notifier: Arc<dyn Notifier>,
    /// Actions on shown notifications, from the notifier (see `DbusNotifier::connect`).
    pub notifier_events: mpsc::UnboundedReceiver<NotifierEvent>,
    /// The agenda: occurrences from a little before now to at least a day ahead, expanded
    /// in the user's zone. Re-expand and send on a feed update or a zone change.
    pub agenda: watch::Receiver<Arc<Vec<Occurrence>>>,
    pub config: watch::Receiver<ReminderConfig>,
    pub cancel: CancellationToken,
    /// Normally [`SENTINEL`]; tests may shorten it.
    pub sentinel: StdDuration,
}

/// A cheap, cloneable handle to a running scheduler: pause, resume, wake.
#[derive(Clone)]
pub struct ReminderHandle {
    ledger: Ledger,
    clock: Arc<dyn Clock>,
    config: watch::Receiver<ReminderConfig>,
    wake: Arc<Notify>,
    status: watch::Receiver<Status>,
}

impl ReminderHandle {
    /// Pauses notifications (persisted) and returns until when. Reminders due during the
    /// pause are skipped, not shown afterwards.
    pub async fn pause(&self, p: PauseFor) -> Result<DateTime<Utc>, ReminderError> {
        let now = self.clock.now();
        let until = match p {
            PauseFor::OneHour => now + Duration::hours(1),
            PauseFor::UntilTomorrow => next_local_midnight(now, self.config.borrow().tz),
            PauseFor::Until(t) => t,
        };
        self.ledger.set_pause_until(Some(until)).await?;
        self.wake();
        Ok(until)
    }

    /// Ends a pause now.
    pub async fn resume(&self) -> Result<(), ReminderError> {
        self.ledger.set_pause_until(None).await?;
        self.wake();
        Ok(())
    }

    /// Until when notifications are paused, if they are now.
    pub async fn paused_until(&self) -> Result<Option<DateTime<Utc>>, ReminderError> {
        let now = self.clock.now();
        Ok(self.ledger.pause_until().await?.filter(|t| *t > now))
    }

    /// Recompute now: call on resume from suspend (logind `PrepareForSleep(false)`), on a
    /// time-zone change (after sending the re-expanded agenda) or a known clock change.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The loop's status (rounds, next due reminder).
    pub fn status(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }
}

/// The next local midnight after `now` in `tz` (the first instant of tomorrow; in a zone
/// whose midnight falls in a DST gap, the first valid instant after it).
pub fn next_local_midnight(now: DateTime<Utc>, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let tomorrow = now.with_timezone(&tz).date_naive() + Duration::days(1);
    let mut t = tomorrow.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::hours(1);
    }
    now + Duration::hours(24)
}

/// A notification shown by this process, remembered for its actions.
#[derive(Debug, Clone)]
struct ShownInfo {
    key: LedgerKey,
    event_start: DateTime<Utc>,
    join_url: Option<String>,
}

impl Scheduler {
    /// Builds a scheduler with the default sentinel.
    pub fn new(
        pool: SqlitePool,
        clock: Arc<dyn Clock>,
        notifier: Arc<dyn Notifier>,
        notifier_events: mpsc::UnboundedReceiver<NotifierEvent>,
        agenda: watch::Receiver<Arc<Vec<Occurrence>>>,
        config: watch::Receiver<ReminderConfig>,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            pool,
            clock,
            notifier,
            notifier_events,
            agenda,
            config,
            cancel,
            sentinel: SENTINEL,
        }
    }

    /// Starts the loop as the task "reminders". Returns the handle and the receiver of
    /// requests for
    /// the shell (open the window, join a meeting).
    pub fn spawn(self, tasks: &Tasks) -> (ReminderHandle, mpsc::UnboundedReceiver<ShellRequest>) {
        let (shell_tx, shell_rx) = mpsc::unbounded_channel();
        let wake = Arc::new(Notify::new());
        let initial = Status {
            rounds: 0,
            next_due: None,
            wake_at: tokio::time::Instant::now(),
            shown: 0,
        };
        let (status_tx, status_rx) = watch::channel(initial);
        let ledger = Ledger::new(self.pool.clone());
        let handle = ReminderHandle {
            ledger: ledger.clone(),
            clock: self.clock.clone(),
            config: self.config.clone(),
            wake: wake.clone(),
            status: status_rx,
        };
        let task = Loop {
            s: self,
            ledger,
            wake,
            shell_tx,
            status_tx,
            shown: BTreeMap::new(),
            shown_count: 0,
        };
        tasks.spawn("reminders", task.run());
        (handle, shell_rx)
    }
}

struct Loop {
    s: Scheduler,
    ledger: Ledger,
    wake: Arc<Notify>,
    shell_tx: mpsc::UnboundedSender<ShellRequest>,
    status_tx: watch::Sender<Status>,
    shown: BTreeMap<NotificationId, ShownInfo>,
    shown_count: u64,
}

impl Loop {
    async fn run(mut self) {
        let start = self.s.clock.now();
        // Reminders due after the persisted watermark and not in the ledger were missed
        // while the app was not running (or crashed); on a first start nothing was.
        let mut since = match self.ledger.watermark().await {
            Ok(w) => w.unwrap_or(start).min(start),
            Err(e) => {
                tracing::warn!(error = %e, "reading the reminder watermark failed");
                start
            }
        };
        if let Err(e) = self.ledger.prune(start - PRUNE_AFTER).await {
            tracing::warn!(error = %e, "pruning the reminder ledger failed");
        }
        let (mut agenda_open, mut config_open, mut events_open) = (true, true, true);
        let mut rounds = 0u64;
        let mut config_changed = false;
        loop {
            let now = self.s.clock.now();
            if now < since {
                // The wall clock went back: what is now "due again" was handled (the ledger
                // stops duplicates), so start over from now.
                tracing::info!(
                    by_s = (since - now).num_seconds(),
                    "wall clock moved back; rescheduling"
                );
                since = now;
            }
            // How long the status says the loop sleeps, the instant it wakes for, and the
            // next reminder (none known after a failed round, which is retried soon).
            let (sleep_for, wake_for, next_due) = match self.round(since, now).await {
                Ok((plan, delivered)) => {
                    since = now;
                    let until_due = plan
                        .next_due
                        .map(|d| (d - now).to_std().unwrap_or(StdDuration::ZERO));
                    let sleep = until_due.unwrap_or(self.s.sentinel).min(self.s.sentinel);
                    // The persisted watermark must stay at or before every reminder not yet
                    // claimed, so that a crash between a reminder falling due and its claim
                    // shows it after the restart (case 43). Saving it on the first round,
                    // after a delivery, after a config change and just before a reminder
                    // falls due keeps that true with a write per reminder, not per wake-up.
                    let due_this_sleep = until_due.is_some_and(|d| d <= sleep);
                    if rounds == 0 || delivered || due_this_sleep || config_changed {
                        if let Err(e) = self.ledger.set_watermark(now).await {
                            tracing::warn!(error = %e, "saving the reminder watermark failed");
                        }
                    }
                    config_changed = false;
                    let sleep = sleep.max(StdDuration::from_millis(1));
                    (sleep, plan.next_due, plan.next_due)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reminder round failed; retrying");
                    let retry = RETRY.to_std().unwrap_or_default().min(self.s.sentinel);
                    (retry, Some(now + RETRY), None)
                }
            };
            rounds += 1;
            let mono_start = tokio::time::Instant::now();
            let wake_at = mono_start + sleep_for;
            let shown = self.shown_count;
            // Never a zero sleep: a due instant a few ns ahead must not spin.
            let wake_for = wake_for.map(|d| d.max(now + Duration::milliseconds(1)));
            let sleep = self.s.clock.sleep_until(wake_for, self.s.sentinel);
            self.status_tx.send_replace(Status {
                rounds,
                next_due,
                wake_at,
                shown,
            });

            tokio::select! {
                biased;
                _ = self.s.cancel.cancelled() => break,
                ev = self.s.notifier_events.recv(), if events_open => match ev {
                    Some(ev) => self.on_event(ev).await,
                    None => events_open = false,
                },
                r = self.s.agenda.changed(), if agenda_open => if r.is_err() { agenda_open = false },
                r = self.s.config.changed(), if config_open => match r {
                    Ok(()) => config_changed = true,
                    Err(_) => config_open = false,
                },
                _ = self.wake.notified() => {},
                () = sleep => {},
            }

            let wall = self.s.clock.now() - now;
            let mono = Duration::from_std(mono_start.elapsed()).unwrap_or(Duration::MAX);
            if (wall - mono).abs() > JUMP_THRESHOLD {
                tracing::info!(
                    wall_s = wall.num_seconds(),
                    mono_s = mono.num_seconds(),
                    "wall clock jumped or the machine resumed; rescheduling"
                );
            }
        }
        // Shutdown: remember how far we got, so the next start does not call anything
        // before this "missed".
        if let Err(e) = self.ledger.set_watermark(since).await {
            tracing::warn!(error = %e, "saving the reminder watermark at shutdown failed");
        }
    }

    /// One planning round: plan, claim, show. Returns the plan and whether anything was
    /// claimed (the watermark is then saved).
    async fn round(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(Plan, bool), ReminderError> {
        let agenda = self.s.agenda.borrow().clone();
        let cfg = self.s.config.borrow().clone();
        let pause = self.ledger.pause_until().await?;
        let view = self.ledger.load().await?;
        let plan = plan(&agenda, &cfg, pause, &view, since, now);
        if plan.fire.is_empty() && plan.summary.is_empty() {
            return Ok((plan, false));
        }

        let claims: Vec<Claim> = plan
            .fire
            .iter()
            .map(|f| &f.reminder)
            .chain(plan.summary.iter())
            .map(|r| Claim {
                key: r.ledger_key(),
                event_start: r.occurrence.start,
                due: r.due,
                snoozed: r.snoozed,
            })
            .collect();
        // Committed before anything is shown: at most once (see ledger.rs).
        let won = self.ledger.claim(&claims, now).await?;
        let (won_fire, won_summary) = won.split_at(plan.fire.len());

        for (fire, _) in plan.fire.iter().zip(won_fire).filter(|(_, w)| **w) {
            let n = content::reminder_notification(fire, cfg.tz, now, true, &cfg.snooze_minutes);
            match self.s.notifier.show(n).await {
                Ok(id) => {
                    self.shown_count += 1;
                    let o = &fire.reminder.occurrence;
                    self.remember(
                        id,
                        ShownInfo {
                            key: fire.reminder.ledger_key(),
                            event_start: o.start,
                            join_url: o.join_url.clone(),
                        },
                    );
                }
                // Claimed but not shown: the accepted loss of at-most-once. The tray's
                // "Join next meeting" stays the fallback.
                Err(e) => {
                    tracing::warn!(error = %e, uid = %fire.reminder.occurrence.uid, "showing a reminder failed")
                }
            }
        }
        let missed: Vec<_> = plan
            .summary
            .iter()
            .zip(won_summary)
            .filter(|(_, w)| **w)
            .map(|(r, _)| r.clone())
            .collect();
        if !missed.is_empty() {
            let n = content::summary_notification(&missed, cfg.tz, now);
            match self.s.notifier.show(n).await {
                Ok(_) => self.shown_count += 1,
                Err(e) => tracing::warn!(error = %e, "showing the missed-reminders summary failed"),
            }
        }
        Ok((plan, true))
    }

    fn remember(&mut self, id: NotificationId, info: ShownInfo) {
        self.shown.insert(id, info);
        while self.shown.len() > SHOWN_CAP {
            self.shown.pop_first();
        }
    }

    async fn on_event(&mut self, ev: NotifierEvent) {
        let now = self.s.clock.now();
        let result = match ev {
            NotifierEvent::Default { .. } => {
                let _ = self.shell_tx.send(ShellRequest::OpenWindow);
                Ok(())
            }
            NotifierEvent::Closed { id } => {
                self.shown.remove(&id);
                Ok(())
            }
            NotifierEvent::Action { id, action } => {
                let Some(info) = self.shown.get(&id).cloned() else {
                    tracing::debug!(id, "action on a notification this process does not know");
                    return;
                };
                match action {
                    Action::Join => {
                        if let Some(url) = info.join_url {
                            let _ = self.shell_tx.send(ShellRequest::Join { url });
                        }
                        Ok(())
                    }
                    Action::Snooze(mins) => {
                        self.ledger
                            .snooze(
                                &info.key,
                                info.event_start,
                                now + Duration::minutes(i64::from(mins)),
                                now,
                            )
                            .await
                    }
                    Action::Dismiss => self.ledger.dismiss(&info.key, info.event_start, now).await,
                }
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "recording a notification action failed");
        }
    }
}
