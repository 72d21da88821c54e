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
//!
//! Delivery: everything due is claimed first (one transaction), then shown; a reminder is
//! recorded as shown only when the server answered. A failed show leaves it claimed and
//! the loop comes back within [`SHOW_RETRY`] (the desktop notifier uses a fresh connection
//! per call, so a server restart or a dropped connection is simply retried); the failure
//! and the recovery are recorded in [`super::health`].
//!
//! Bursts: more than [`BURST_LIMIT`] reminders due in the same minute are one notification
//! ("4 meetings start at 10:00") with Open; the planner already keeps one reminder per
//! occurrence per round. The at-start reminder replaces the occurrence's earlier
//! notification (`replaces_id`), and every action closes the notification it came from.
//!
//! The reminder window (`notify.alert_window`, see [`super::alert`]) opens with the
//! at-start reminder; its actions go through the same code as a notification's, and acting
//! on either closes both. Join, Snooze and Dismiss also record that the user acted, which
//! ends the nagging (`notify.nag`) for that occurrence.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::model::Occurrence;
use crate::monitor::Tasks;

use super::alert::{Alert, AlertAction};
use super::content;
use super::health;
use super::key::OccurrenceKey;
use super::ledger::{Claim, Ledger, LedgerKey};
use super::notifier::{Action, Notification, NotificationId, Notifier, NotifierEvent, NotifyError};
use super::plan::{plan, AlarmId, Fire, Plan, Reminder, ReminderConfig};

/// The longest sleep on a clock that cannot report suspends or jumps (see
/// [`Clock::sleep_until`]): they are noticed within this.
pub const SENTINEL: StdDuration = StdDuration::from_secs(60);
/// After a database error, try again this soon.
const RETRY: Duration = Duration::seconds(5);
/// How many shown notifications are remembered for their actions.
const SHOWN_CAP: usize = 512;
/// A failed show is tried again this soon.
pub const SHOW_RETRY: StdDuration = StdDuration::from_secs(2);
/// More reminders than this due in the same minute are shown as one burst notification.
pub const BURST_LIMIT: usize = 3;
/// How long shutdown waits for the notifications on screen to be closed (a part of the
/// backend's drain bound).
const CLOSE_AT_SHUTDOWN: StdDuration = StdDuration::from_secs(1);
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
    /// Open (or raise) the reminder window: [`ReminderHandle::alert`] says what it shows.
    ShowAlert,
    /// The reminder window's meeting was acted on (here or in its notification): close it.
    CloseAlert,
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
    /// The last show failed (reminders are being retried); see [`super::health`].
    pub failing: bool,
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
    alert: watch::Receiver<Option<Alert>>,
    alert_actions: mpsc::UnboundedSender<AlertAction>,
}

impl ReminderHandle {
    /// What the reminder window shows, while it should be open.
    pub fn alert(&self) -> Option<Alert> {
        self.alert.borrow().clone()
    }

    /// Carries out what the user chose in the reminder window (as if on its notification).
    pub fn act_on_alert(&self, action: AlertAction) {
        let _ = self.alert_actions.send(action);
    }

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
    /// The reminder it shows; None for a burst or missed summary.
    reminder: Option<ShownReminder>,
}

#[derive(Debug, Clone)]
struct ShownReminder {
    key: LedgerKey,
    event_start: DateTime<Utc>,
    join_url: Option<String>,
}

impl ShownReminder {
    fn of(r: &Reminder) -> Self {
        Self {
            key: r.ledger_key(),
            event_start: r.occurrence.start,
            join_url: r.occurrence.join_url.clone(),
        }
    }

    fn occurrence(&self) -> OccurrenceKey {
        self.key.occurrence_key()
    }
}

/// One notification to show and the claimed reminders it stands for.
struct Delivery {
    notification: Notification,
    keys: Vec<LedgerKey>,
    /// For an individual reminder: its occurrence and what actions need.
    single: Option<(OccurrenceKey, ShownReminder)>,
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
            failing: false,
        };
        let (status_tx, status_rx) = watch::channel(initial);
        let (alert_tx, alert_rx) = watch::channel(None);
        let (alert_actions_tx, alert_actions) = mpsc::unbounded_channel();
        let ledger = Ledger::new(self.pool.clone());
        let handle = ReminderHandle {
            ledger: ledger.clone(),
            clock: self.clock.clone(),
            config: self.config.clone(),
            wake: wake.clone(),
            status: status_rx,
            alert: alert_rx,
            alert_actions: alert_actions_tx,
        };
        let task = Loop {
            s: self,
            ledger,
            wake,
            shell_tx,
            status_tx,
            shown: BTreeMap::new(),
            shown_count: 0,
            replaces: HashMap::new(),
            failing: false,
            alert_tx,
            alert_actions,
            alert: None,
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
    /// The last notification shown for each occurrence (the next one replaces it).
    replaces: HashMap<OccurrenceKey, NotificationId>,
    /// The last show failed (as recorded in the health table).
    failing: bool,
    /// What the reminder window shows (the handle's view of `alert`).
    alert_tx: watch::Sender<Option<Alert>>,
    alert_actions: mpsc::UnboundedReceiver<AlertAction>,
    /// The reminder the open window stands for.
    alert: Option<ShownReminder>,
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
        self.failing = health::read(&self.s.pool)
            .await
            .is_ok_and(|h| h.failing_since.is_some());
        if let Err(e) = self.ledger.prune(start - PRUNE_AFTER).await {
            tracing::warn!(error = %e, "pruning the reminder ledger failed");
        }
        let (mut agenda_open, mut config_open, mut events_open) = (true, true, true);
        let mut alert_actions_open = true;
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
                Ok((mut plan, delivered, retry)) => {
                    since = now;
                    if retry {
                        // Claimed reminders wait for the next round: come back soon.
                        let again = now
                            + Duration::from_std(SHOW_RETRY.min(self.s.sentinel)).unwrap_or(RETRY);
                        plan.next_due = Some(plan.next_due.map_or(again, |d| d.min(again)));
                    }
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
            let failing = self.failing;
            // Never a zero sleep: a due instant a few ns ahead must not spin.
            let wake_for = wake_for.map(|d| d.max(now + Duration::milliseconds(1)));
            let sleep = self.s.clock.sleep_until(wake_for, self.s.sentinel);
            self.status_tx.send_replace(Status {
                rounds,
                next_due,
                wake_at,
                shown,
                failing,
            });

            tokio::select! {
                biased;
                _ = self.s.cancel.cancelled() => break,
                ev = self.s.notifier_events.recv(), if events_open => match ev {
                    Some(ev) => self.on_event(ev).await,
                    None => events_open = false,
                },
                a = self.alert_actions.recv(), if alert_actions_open => match a {
                    Some(a) => self.on_alert_action(a).await,
                    None => alert_actions_open = false,
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
        // Shutdown. A notification left on screen would offer Join and Snooze that
        // nothing answers any more (dunst keeps a notification after its sender exits;
        // GNOME closes it), so ours are taken off the screen, in parallel and bounded.
        let closes = std::mem::take(&mut self.shown)
            .into_keys()
            .map(|id| self.s.notifier.close(id));
        if tokio::time::timeout(CLOSE_AT_SHUTDOWN, futures_util::future::join_all(closes))
            .await
            .is_err()
        {
            tracing::warn!("closing the notifications on screen overran {CLOSE_AT_SHUTDOWN:?}");
        }
        // Remember how far we got, so the next start does not call anything before this
        // "missed".
        if let Err(e) = self.ledger.set_watermark(since).await {
            tracing::warn!(error = %e, "saving the reminder watermark at shutdown failed");
        }
    }

    /// One planning round: plan, claim, show. Returns the plan, whether anything was
    /// claimed (the watermark is then saved) and whether a show failed (retry soon).
    async fn round(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(Plan, bool, bool), ReminderError> {
        let agenda = self.s.agenda.borrow().clone();
        let cfg = self.s.config.borrow().clone();
        let pause = self.ledger.pause_until().await?;
        let view = self.ledger.load().await?;
        let plan = plan(&agenda, &cfg, pause, &view, since, now);
        if plan.fire.is_empty() && plan.summary.is_empty() && plan.superseded.is_empty() {
            return Ok((plan, false, false));
        }

        let claims: Vec<Claim> = plan
            .fire
            .iter()
            .map(|f| &f.reminder)
            .chain(plan.summary.iter())
            .chain(plan.superseded.iter())
            .map(|r| Claim {
                key: r.ledger_key(),
                event_start: r.occurrence.start,
                due: r.due,
                snoozed: r.snoozed,
                retry: r.retry,
            })
            .collect();
        // Committed before anything is shown (see ledger.rs).
        let won = self.ledger.claim(&claims, now).await?;
        let (won_fire, rest) = won.split_at(plan.fire.len());
        let (won_summary, won_superseded) = rest.split_at(plan.summary.len());
        let fires: Vec<&Fire> = plan
            .fire
            .iter()
            .zip(won_fire)
            .filter(|(_, w)| **w)
            .map(|(f, _)| f)
            .collect();
        let missed: Vec<Reminder> = plan
            .summary
            .iter()
            .zip(won_summary)
            .filter(|(_, w)| **w)
            .map(|(r, _)| r.clone())
            .collect();
        let superseded: Vec<LedgerKey> = plan
            .superseded
            .iter()
            .zip(won_superseded)
            .filter(|(_, w)| **w)
            .map(|(r, _)| r.ledger_key())
            .collect();

        if cfg.alert_window {
            // The window is not a notification: it opens even when the server is failing,
            // once per at-start reminder (and again when a snooze of it ends).
            let starting = fires
                .iter()
                .map(|f| &f.reminder)
                .filter(|r| r.alarm == AlarmId::Start && !r.retry)
                .max_by_key(|r| r.occurrence.join_url.is_some());
            if let Some(r) = starting {
                self.alert = Some(ShownReminder::of(r));
                self.alert_tx
                    .send_replace(Some(Alert::of(r, cfg.tz, &cfg.snooze_minutes)));
                let _ = self.shell_tx.send(ShellRequest::ShowAlert);
            }
        }
        let mut failed: Option<NotifyError> = None;
        for d in self.deliveries(&fires, &missed, &cfg, now) {
            // No bus or a server that does not answer: the rest would wait just as long.
            if matches!(
                failed,
                Some(NotifyError::Timeout | NotifyError::NoSessionBus(_))
            ) {
                self.ledger.mark_failed(&d.keys, now).await?;
                continue;
            }
            match self.s.notifier.show(d.notification).await {
                Ok(id) => {
                    self.ledger.mark_shown(&d.keys, now).await?;
                    self.shown_count += 1;
                    let reminder = d.single.map(|(occ, info)| {
                        self.replaces.insert(occ, id);
                        info
                    });
                    self.remember(id, ShownInfo { reminder });
                }
                Err(e) => {
                    tracing::warn!(error = %e, reminders = d.keys.len(), "showing a reminder failed; retrying");
                    self.ledger.mark_failed(&d.keys, now).await?;
                    failed = Some(e);
                }
            }
        }
        // What is covered by a shown one is done; after a failure it is retried with it.
        if failed.is_none() {
            self.ledger.mark_shown(&superseded, now).await?;
        }
        self.record_health(failed.as_ref(), now).await;
        Ok((plan, true, failed.is_some()))
    }

    /// What to show for this round's won reminders: individual ones, bursts of more than
    /// [`BURST_LIMIT`] due in the same minute, and one missed summary.
    fn deliveries(
        &self,
        fires: &[&Fire],
        missed: &[Reminder],
        cfg: &ReminderConfig,
        now: DateTime<Utc>,
    ) -> Vec<Delivery> {
        let mut by_minute: BTreeMap<i64, Vec<&Fire>> = BTreeMap::new();
        for f in fires {
            by_minute
                .entry(f.reminder.due.timestamp().div_euclid(60))
                .or_default()
                .push(f);
        }
        let mut out = Vec::new();
        for group in by_minute.into_values() {
            if group.len() > BURST_LIMIT {
                let reminders: Vec<Reminder> = group.iter().map(|f| f.reminder.clone()).collect();
                out.push(Delivery {
                    notification: content::burst_notification(&reminders, cfg.tz, now, true),
                    keys: reminders.iter().map(Reminder::ledger_key).collect(),
                    single: None,
                });
                continue;
            }
            for f in group {
                let r = &f.reminder;
                let occ = r.ledger_key().occurrence_key();
                let mut n =
                    content::reminder_notification(f, cfg.tz, now, true, &cfg.snooze_minutes);
                n.replaces = self.replaces.get(&occ).copied();
                out.push(Delivery {
                    notification: n,
                    keys: vec![r.ledger_key()],
                    single: Some((occ, ShownReminder::of(r))),
                });
            }
        }
        if !missed.is_empty() {
            out.push(Delivery {
                notification: content::summary_notification(missed, cfg.tz, now),
                keys: missed.iter().map(Reminder::ledger_key).collect(),
                single: None,
            });
        }
        out
    }

    /// Records a change between "notifications work" and "they are failing".
    async fn record_health(&mut self, failed: Option<&NotifyError>, now: DateTime<Utc>) {
        let written = match (failed, self.failing) {
            (Some(e), false) => health::record_failure(&self.s.pool, &e.to_string(), now).await,
            (None, true) => health::record_ok(&self.s.pool, now).await,
            _ => return,
        };
        match written {
            Ok(()) => self.failing = failed.is_some(),
            Err(e) => tracing::warn!(error = %e, "recording the notifier's health failed"),
        }
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
            NotifierEvent::Default { id } => {
                let _ = self.shell_tx.send(ShellRequest::OpenWindow);
                self.close(id);
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
                // Whatever the action, the notification has done its job (dunst and others
                // leave it on screen otherwise).
                self.close(id);
                match (action, info.reminder) {
                    (Action::Open, _) => {
                        let _ = self.shell_tx.send(ShellRequest::OpenWindow);
                        Ok(())
                    }
                    (_, None) => Ok(()),
                    (action, Some(r)) => self.act(r, action, now).await,
                }
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "recording a notification action failed");
        }
    }

    /// The reminder window's Join, Snooze or Dismiss: the same as on its notification,
    /// which is closed too.
    async fn on_alert_action(&mut self, action: AlertAction) {
        let Some(r) = self.alert.clone() else {
            // Acted on already (from the notification): just make sure the window goes.
            let _ = self.shell_tx.send(ShellRequest::CloseAlert);
            return;
        };
        if let Some(id) = self.replaces.get(&r.occurrence()).copied() {
            self.close(id);
        }
        let now = self.s.clock.now();
        if let Err(e) = self.act(r, action.as_notification_action(), now).await {
            tracing::warn!(error = %e, "recording a reminder window action failed");
        }
    }

    /// Join, Snooze or Dismiss on a reminder: recorded in the ledger with the fact that
    /// the user acted (which ends nagging), and the reminder window of the same occurrence
    /// closed.
    async fn act(
        &mut self,
        r: ShownReminder,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        if self
            .alert
            .as_ref()
            .is_some_and(|a| a.occurrence() == r.occurrence())
        {
            self.alert = None;
            self.alert_tx.send_replace(None);
            let _ = self.shell_tx.send(ShellRequest::CloseAlert);
        }
        match action {
            Action::Open => {
                let _ = self.shell_tx.send(ShellRequest::OpenWindow);
                return Ok(());
            }
            Action::Join => {
                if let Some(url) = r.join_url.clone() {
                    let _ = self.shell_tx.send(ShellRequest::Join { url });
                }
            }
            Action::Snooze(mins) => {
                let until = now + Duration::minutes(i64::from(mins));
                self.ledger
                    .snooze(&r.key, r.event_start, until, now)
                    .await?;
            }
            Action::Dismiss => self.ledger.dismiss(&r.key, r.event_start, now).await?,
        }
        self.ledger.acknowledge(&r.key, r.event_start, now).await
    }

    /// Takes a notification off the screen without holding up the loop.
    fn close(&mut self, id: NotificationId) {
        self.shown.remove(&id);
        self.replaces.retain(|_, v| *v != id);
        tokio::spawn(self.s.notifier.close(id));
    }
}
