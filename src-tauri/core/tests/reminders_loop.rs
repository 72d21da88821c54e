//! The scheduler loop under tokio's paused time, with a recording notifier and a real
//! SQLite file: fire times are never early and at most once, across restarts (43),
//! suspends (41, 42), clock jumps (45), zone changes (46), snoozes (44, 47), the pause and
//! the notification actions.
//!
//! Time model: the injected wall clock is tokio's paused monotonic clock plus an offset the
//! test moves by hand. A suspend moves the offset with the monotonic clock frozen (what a
//! laptop lid does); a clock change moves the offset both ways.
//!
//! Auto-advance is inhibited (a parked `spawn_blocking` task does that in tokio's
//! current-thread runtime) because SQLite runs on sqlx's own threads: with auto-advance,
//! tokio would jump time forward while a query is in flight. Time only moves through
//! [`Rig::run_until`], which advances exactly to each of the loop's wake-ups.

// Test helpers outside #[test] fns unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use calendarbot_core::clock::Clock;
use calendarbot_core::db;
use calendarbot_core::model::{AlarmTrigger, Occurrence, PartStat};
use calendarbot_core::monitor::Tasks;
use calendarbot_core::reminders::health;
use calendarbot_core::reminders::ledger::Ledger;
use calendarbot_core::reminders::notifier::Shown;
use calendarbot_core::reminders::scheduler::Status;
use calendarbot_core::reminders::{
    Action, NotifierEvent, PauseFor, RecordingNotifier, ReminderConfig, ReminderHandle, Scheduler,
    ShellRequest,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const T0: &str = "2026-03-02T09:00:00Z";

/// Wall clock = tokio's (paused) clock + a hand-moved offset.
struct TokioClock {
    base_wall: DateTime<Utc>,
    base: Instant,
    offset: Mutex<Duration>,
}

impl TokioClock {
    fn new(at: DateTime<Utc>) -> Self {
        Self {
            base_wall: at,
            base: Instant::now(),
            offset: Mutex::new(Duration::zero()),
        }
    }
    /// A suspend (monotonic frozen) or a wall-clock change.
    fn jump(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.base_wall
            + Duration::from_std(Instant::now() - self.base).unwrap()
            + *self.offset.lock().unwrap()
    }
}

fn occ(uid: &str, start: DateTime<Utc>) -> Occurrence {
    Occurrence {
        source_id: Some(1),
        location: Some("Room 4".into()),
        join_url: Some(format!("https://meet.google.com/{uid}")),
        attendees: 3,
        ..Occurrence::timed(
            "Work",
            uid,
            &format!("Meeting {uid}"),
            start,
            start + Duration::minutes(30),
        )
    }
}

/// One running scheduler with its inputs and outputs.
struct Rig {
    clock: Arc<TokioClock>,
    pool: SqlitePool,
    notifier: RecordingNotifier,
    agenda: watch::Sender<Arc<Vec<Occurrence>>>,
    config: watch::Sender<ReminderConfig>,
    events: mpsc::UnboundedSender<NotifierEvent>,
    handle: ReminderHandle,
    shell: mpsc::UnboundedReceiver<ShellRequest>,
    status: watch::Receiver<Status>,
    cancel: CancellationToken,
    tasks: Tasks,
}

/// Keeps tokio from auto-advancing paused time while it lives (see the module doc).
struct NoAutoAdvance(Option<std::sync::mpsc::Sender<()>>);

impl NoAutoAdvance {
    fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = rx.recv();
        });
        Self(Some(tx))
    }
}

impl Drop for NoAutoAdvance {
    fn drop(&mut self) {
        self.0.take();
    }
}

impl Rig {
    async fn start(
        clock: Arc<TokioClock>,
        pool: SqlitePool,
        agenda: Vec<Occurrence>,
        config: ReminderConfig,
    ) -> Rig {
        let notifier = RecordingNotifier::new(clock.clone());
        let (agenda_tx, agenda_rx) = watch::channel(Arc::new(agenda));
        let (config_tx, config_rx) = watch::channel(config);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let tasks = Tasks::new();
        let s = Scheduler::new(
            pool.clone(),
            clock.clone(),
            Arc::new(notifier.clone()),
            events_rx,
            agenda_rx,
            config_rx,
            cancel.clone(),
        );
        let (handle, shell) = s.spawn(&tasks);
        let status = handle.status();
        let mut rig = Rig {
            clock,
            pool,
            notifier,
            agenda: agenda_tx,
            config: config_tx,
            events: events_tx,
            handle,
            shell,
            status,
            cancel,
            tasks,
        };
        rig.wait_round(0).await;
        rig
    }

    fn rounds(&self) -> u64 {
        self.status.borrow().rounds
    }

    /// Waits until the loop has finished a round after `after`.
    async fn wait_round(&mut self, after: u64) {
        tokio::time::timeout(
            StdDuration::from_secs(3600),
            self.status.wait_for(|s| s.rounds > after),
        )
        .await
        .expect("the scheduler did not finish a round")
        .unwrap();
    }

    /// Moves time forward to `until` (wall clock), stopping at each of the loop's wake-ups
    /// and letting it finish its round.
    async fn run_until(&mut self, until: DateTime<Utc>) {
        loop {
            let now_wall = self.clock.now();
            if now_wall >= until {
                return;
            }
            let st = *self.status.borrow();
            let target = Instant::now() + (until - now_wall).to_std().unwrap();
            if st.wake_at > target {
                tokio::time::advance(target - Instant::now()).await;
                return;
            }
            // One ms past the deadline: tokio rounds timer deadlines up to the millisecond.
            let step =
                st.wake_at.saturating_duration_since(Instant::now()) + StdDuration::from_millis(1);
            tokio::time::advance(step).await;
            self.wait_round(st.rounds).await;
        }
    }

    async fn run_for(&mut self, d: Duration) {
        let until = self.clock.now() + d;
        self.run_until(until).await;
    }

    async fn stimulate(&mut self, f: impl FnOnce(&Rig)) {
        let r = self.rounds();
        f(self);
        self.wait_round(r).await;
    }

    async fn stop(self) -> (SqlitePool, RecordingNotifier) {
        self.cancel.cancel();
        self.tasks.tracker().close();
        self.tasks.tracker().wait().await;
        (self.pool, self.notifier)
    }

    fn shown(&self) -> Vec<Shown> {
        self.notifier.shown()
    }
}

async fn pool(dir: &tempfile::TempDir) -> SqlitePool {
    db::open(&dir.path().join("cal.sqlite3")).await.unwrap()
}

fn no_start() -> ReminderConfig {
    ReminderConfig {
        at_start: false,
        ..ReminderConfig::default()
    }
}

#[tokio::test(start_paused = true)]
async fn fires_on_time_never_early_at_most_once_and_idles_at_one_wakeup_a_minute() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let mut cancelled = occ("cancelled", t("2026-03-02T09:40:00Z"));
    cancelled.cancelled = true;
    let mut declined = occ("declined", t("2026-03-02T09:50:00Z"));
    declined.my_status = Some(PartStat::Declined);
    let mut valarm = occ("valarm", t("2026-03-02T10:30:00Z"));
    valarm.alarms = vec![
        AlarmTrigger::Relative { seconds: -1200 },
        AlarmTrigger::Relative { seconds: -300 },
    ];
    let agenda = vec![
        occ("a", t("2026-03-02T09:20:00Z")),
        occ("b", t("2026-03-02T09:20:00Z")), // concurrent with a
        cancelled,
        declined,
        valarm,
    ];
    let mut rig = Rig::start(
        clock.clone(),
        pool(&dir).await,
        agenda,
        ReminderConfig::default(),
    )
    .await;
    let rounds0 = rig.rounds();
    rig.run_until(t("2026-03-02T11:00:00Z")).await;

    let shown = rig.shown();
    let got: Vec<(String, DateTime<Utc>)> = shown
        .iter()
        .map(|s| (s.notification.title.clone(), s.at))
        .collect();
    let expect = [
        ("Meeting a", "2026-03-02T09:15:00Z"),
        ("Meeting b", "2026-03-02T09:15:00Z"),
        ("Meeting a", "2026-03-02T09:20:00Z"),
        ("Meeting b", "2026-03-02T09:20:00Z"),
        ("Meeting valarm", "2026-03-02T10:10:00Z"),
        ("Meeting valarm", "2026-03-02T10:25:00Z"), // the -PT5M VALARM and the lead: once
        ("Meeting valarm", "2026-03-02T10:30:00Z"),
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for ((title, at), (et, ed)) in got.iter().zip(expect) {
        assert_eq!(title, et);
        let late = *at - t(ed);
        assert!(late >= Duration::zero(), "{title} early by {late}");
        assert!(late <= Duration::milliseconds(5), "{title} late by {late}");
    }
    // Content: time range in the zone, location, calendar; actions with Join.
    assert_eq!(
        shown[0].notification.body,
        "in 5 min · 09:20 – 09:50\nRoom 4\nWork"
    );
    // The at-start reminder takes the lead one's place.
    assert_eq!(shown[2].notification.replaces, Some(shown[0].id));
    assert_eq!(shown[0].notification.replaces, None);
    assert!(shown[2].notification.body.starts_with("now · "));
    assert_eq!(
        shown[0].notification.actions,
        vec![
            Action::Join,
            Action::Snooze(5),
            Action::Snooze(10),
            Action::Dismiss
        ]
    );
    // Idle: 2 h is 120 sentinel wake-ups at most, plus one per distinct due instant.
    let rounds = rig.rounds() - rounds0;
    assert!(rounds <= 120 + 5 + 2, "{rounds} rounds in 2 h");
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case43_restart_after_the_fired_commit_does_not_repeat() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![occ("a", t("2026-03-02T09:10:00Z"))];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda.clone(), no_start()).await;
    rig.run_until(t("2026-03-02T09:05:30Z")).await;
    assert_eq!(rig.notifier.count(), 1);
    // "kill -9" right after the commit: the shutdown path would save the watermark, a
    // kill does not, so put it back to before the reminder was due. Only the ledger row
    // then stands between the restart and a duplicate.
    let (pool, _) = rig.stop().await;
    Ledger::new(pool.clone())
        .set_watermark(t(T0))
        .await
        .unwrap();
    let mut rig2 = Rig::start(clock.clone(), pool, agenda, no_start()).await;
    rig2.run_for(Duration::minutes(30)).await;
    assert_eq!(
        rig2.notifier.count(),
        0,
        "no second notification after the restart"
    );
    rig2.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case43_stopped_before_the_commit_shows_exactly_one_after_restart() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![occ("a", t("2026-03-02T09:10:00Z"))];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda.clone(), no_start()).await;
    rig.run_until(t("2026-03-02T09:04:30Z")).await;
    // What a kill would leave on disk: the watermark saved while running.
    let saved = Ledger::new(rig.pool.clone())
        .watermark()
        .await
        .unwrap()
        .expect("a watermark while running");
    assert!(saved < t("2026-03-02T09:05:00Z"));
    // Killed before the 09:05 claim; the app is down until 09:07.
    let (pool, n) = rig.stop().await;
    assert_eq!(n.count(), 0);
    Ledger::new(pool.clone())
        .set_watermark(saved)
        .await
        .unwrap();
    clock.jump(Duration::minutes(2) + Duration::seconds(30));
    let mut rig2 = Rig::start(clock.clone(), pool, agenda, no_start()).await;
    rig2.run_for(Duration::minutes(30)).await;
    let shown = rig2.shown();
    assert_eq!(shown.len(), 1, "exactly one");
    assert!(
        shown[0].notification.body.contains("missed by 2 min"),
        "{}",
        shown[0].notification.body
    );
    rig2.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case41_suspend_across_alarm_shows_it_once_marked_late_on_resume() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    // Alarm at T+10 min.
    let agenda = vec![occ("a", t("2026-03-02T09:15:00Z"))];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, no_start()).await;
    rig.run_until(t("2026-03-02T09:05:00Z")).await;
    // Suspend from T+5 to T+30: the wall clock moves, the monotonic one does not.
    clock.jump(Duration::minutes(25));
    // Resume (logind PrepareForSleep(false) → wake): shown at once.
    let resumed = clock.now();
    rig.stimulate(|r| r.handle.wake()).await;
    let shown = rig.shown();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].at - resumed <= Duration::seconds(2));
    assert!(
        shown[0].notification.body.contains("missed by 20 min"),
        "{}",
        shown[0].notification.body
    );
    rig.run_for(Duration::hours(1)).await;
    assert_eq!(rig.notifier.count(), 1, "shown once");
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case41_without_a_resume_signal_the_sentinel_notices_within_60s() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![occ("a", t("2026-03-02T09:15:00Z"))];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, no_start()).await;
    rig.run_until(t("2026-03-02T09:05:00Z")).await;
    clock.jump(Duration::minutes(25));
    let resumed = clock.now();
    rig.run_for(Duration::seconds(61)).await;
    let shown = rig.shown();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].at - resumed <= Duration::seconds(60));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case42_three_day_suspend_gives_one_summary_of_the_last_12h() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda: Vec<_> = (1..36)
        .map(|i| occ(&format!("e{i}"), t(T0) + Duration::hours(2 * i)))
        .collect();
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, no_start()).await;
    clock.jump(Duration::days(3));
    rig.stimulate(|r| r.handle.wake()).await;
    let shown = rig.shown();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0].notification.title, "5 missed reminders");
    assert!(shown[0].notification.body.contains("Meeting e35"));
    assert!(
        !shown[0].notification.body.contains("Meeting e30"),
        "older than 12 h is dropped"
    );
    rig.run_for(Duration::minutes(10)).await;
    assert_eq!(rig.notifier.count(), 1);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case45_clock_set_back_and_forward_recomputes_without_duplicates_or_early_fires() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![
        occ("a", t("2026-03-02T09:10:00Z")),
        occ("b", t("2026-03-02T11:30:00Z")),
    ];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, no_start()).await;
    rig.run_until(t("2026-03-02T09:06:00Z")).await;
    assert_eq!(rig.notifier.count(), 1);
    // Back one hour: 09:05 comes again; no duplicate.
    clock.jump(Duration::hours(-1));
    rig.stimulate(|r| r.handle.wake()).await;
    rig.run_until(t("2026-03-02T09:30:00Z")).await;
    assert_eq!(
        rig.notifier.count(),
        1,
        "no duplicate after the clock went back"
    );
    // Forward one hour: b (due 11:25) must not fire before 11:25 wall time.
    clock.jump(Duration::hours(1));
    rig.run_for(Duration::seconds(61)).await;
    assert_eq!(rig.notifier.count(), 1);
    rig.run_until(t("2026-03-02T11:26:00Z")).await;
    let shown = rig.shown();
    assert_eq!(shown.len(), 2);
    assert!(
        shown[1].at >= t("2026-03-02T11:25:00Z"),
        "not early: {}",
        shown[1].at
    );
    assert!(shown[1].at - t("2026-03-02T11:25:00Z") <= Duration::seconds(2));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case46_zone_change_reanchors_all_day_alarms_via_a_new_agenda() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t("2026-07-04T05:00:00Z")));
    let day = NaiveDate::from_ymd_opt(2026, 7, 5).unwrap();
    let all_day_in = |tz: chrono_tz::Tz| {
        let mut o = occ("allday", t("2026-07-05T00:00:00Z"));
        o.all_day = true;
        o.start_date = Some(day);
        o.end_date = Some(day.succ_opt().unwrap());
        o.start = tz
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        o.end = o.start + Duration::days(1);
        o.alarms = vec![AlarmTrigger::Relative {
            seconds: -15 * 3600,
        }];
        o
    };
    let mut utc = occ("utc", t("2026-07-04T12:00:00Z"));
    utc.alarms = vec![AlarmTrigger::Relative { seconds: -600 }];
    let cfg = |tz| ReminderConfig {
        notify_all_day: true,
        lead_minutes: 0,
        at_start: false,
        tz,
        ..ReminderConfig::default()
    };
    let berlin = chrono_tz::Europe::Berlin;
    let ny = chrono_tz::America::New_York;
    let mut rig = Rig::start(
        clock.clone(),
        pool(&dir).await,
        vec![all_day_in(berlin), utc.clone()],
        cfg(berlin),
    )
    .await;
    // 06:00Z: the user flies to New York; the shell re-expands the agenda in the new zone.
    rig.run_until(t("2026-07-04T06:00:00Z")).await;
    rig.stimulate(|r| {
        r.config.send_replace(cfg(ny));
        r.agenda
            .send_replace(Arc::new(vec![all_day_in(ny), utc.clone()]));
    })
    .await;
    rig.run_until(t("2026-07-04T14:00:00Z")).await;
    let at: Vec<_> = rig
        .shown()
        .iter()
        .map(|s| (s.notification.title.clone(), s.at))
        .collect();
    assert_eq!(at.len(), 2, "{at:?}");
    // 07:00Z (09:00 Berlin) passed without a reminder; UTC one at 11:50Z; all-day at 09:00 NY.
    assert_eq!(at[0].0, "Meeting utc");
    assert!(
        at[0].1 >= t("2026-07-04T11:50:00Z")
            && at[0].1 - t("2026-07-04T11:50:00Z") < Duration::seconds(1)
    );
    assert_eq!(at[1].0, "Meeting allday");
    assert!(
        at[1].1 >= t("2026-07-04T13:00:00Z")
            && at[1].1 - t("2026-07-04T13:00:00Z") < Duration::seconds(1)
    );
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case44_snooze_survives_a_restart_and_fires_at_its_time() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![occ("a", t("2026-03-02T09:10:00Z"))];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda.clone(), no_start()).await;
    rig.run_until(t("2026-03-02T09:05:00Z")).await;
    let id = rig.shown()[0].id;
    // Snooze 10 min at 09:05 → 09:15.
    rig.stimulate(|r| {
        r.events
            .send(NotifierEvent::Action {
                id,
                action: Action::Snooze(10),
            })
            .unwrap()
    })
    .await;
    rig.run_for(Duration::minutes(3)).await;
    let (pool, _) = rig.stop().await;
    let mut rig2 = Rig::start(clock.clone(), pool, agenda, no_start()).await;
    assert_eq!(rig2.notifier.count(), 0, "not at start-up");
    rig2.run_until(t("2026-03-02T09:20:00Z")).await;
    let shown = rig2.shown();
    assert_eq!(shown.len(), 1);
    let late = shown[0].at - t("2026-03-02T09:15:00Z");
    assert!(
        late >= Duration::zero() && late <= Duration::seconds(2),
        "{late}"
    );
    assert!(shown[0].notification.body.contains("snoozed"));
    rig2.stop().await;
}

#[tokio::test(start_paused = true)]
async fn case47_event_moved_after_snooze_clears_the_snooze() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let mut o = occ("series", t("2026-03-02T09:10:00Z"));
    o.recurrence_id = Some(o.start);
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, vec![o.clone()], no_start()).await;
    rig.run_until(t("2026-03-02T09:05:00Z")).await;
    let id = rig.shown()[0].id;
    rig.stimulate(|r| {
        r.events
            .send(NotifierEvent::Action {
                id,
                action: Action::Snooze(5),
            })
            .unwrap()
    })
    .await;
    // A feed update moves the instance to 10:00 (an override; same RECURRENCE-ID).
    let mut moved = o.clone();
    moved.start = t("2026-03-02T10:00:00Z");
    moved.end = moved.start + Duration::minutes(30);
    rig.stimulate(|r| {
        r.agenda.send_replace(Arc::new(vec![moved]));
    })
    .await;
    rig.run_until(t("2026-03-02T10:30:00Z")).await;
    let at: Vec<_> = rig.shown().iter().map(|s| s.at).collect();
    assert_eq!(
        at.len(),
        2,
        "no snooze at 09:10, the normal alarm at 09:55: {at:?}"
    );
    assert!(
        at[1] >= t("2026-03-02T09:55:00Z")
            && at[1] - t("2026-03-02T09:55:00Z") < Duration::seconds(1)
    );
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn pause_for_an_hour_is_persisted_and_skips_reminders() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![
        occ("a", t("2026-03-02T09:30:00Z")),
        occ("b", t("2026-03-02T10:30:00Z")),
    ];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda.clone(), no_start()).await;
    let r = rig.rounds();
    let until = rig.handle.pause(PauseFor::OneHour).await.unwrap();
    rig.wait_round(r).await;
    assert_eq!(until, t("2026-03-02T10:00:00Z"));
    assert_eq!(rig.handle.paused_until().await.unwrap(), Some(until));
    let (pool, _) = rig.stop().await;
    // Persisted across a restart.
    let mut rig2 = Rig::start(clock.clone(), pool, agenda, no_start()).await;
    rig2.run_until(t("2026-03-02T11:00:00Z")).await;
    let titles: Vec<_> = rig2
        .shown()
        .iter()
        .map(|s| s.notification.title.clone())
        .collect();
    assert_eq!(
        titles,
        vec!["Meeting b"],
        "a (09:25) was during the pause, b (10:25) after it"
    );
    rig2.stop().await;
}

#[tokio::test(start_paused = true)]
async fn actions_join_default_and_dismiss_reach_the_shell_and_the_ledger_and_close() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![
        occ("a", t("2026-03-02T09:10:00Z")),
        occ("b", t("2026-03-02T09:20:00Z")),
    ];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, no_start()).await;
    rig.run_until(t("2026-03-02T09:05:00Z")).await;
    let id = rig.shown()[0].id;
    let send = |r: &Rig, id, action| r.events.send(NotifierEvent::Action { id, action }).unwrap();
    rig.stimulate(|r| send(r, id, Action::Join)).await;
    assert_eq!(
        rig.shell.try_recv().unwrap(),
        ShellRequest::Join {
            url: "https://meet.google.com/a".into()
        }
    );
    // Join took the notification off the screen; a later action on it does nothing.
    tokio::task::yield_now().await;
    assert_eq!(rig.notifier.closed(), vec![id]);
    rig.stimulate(|r| send(r, id, Action::Dismiss)).await;
    rig.stimulate(|r| r.events.send(NotifierEvent::Default { id }).unwrap())
        .await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::OpenWindow);

    // b: snoozed, then dismissed before the snooze ends; both close what they act on.
    rig.run_until(t("2026-03-02T09:15:00Z")).await;
    let b = rig.shown()[1].id;
    rig.stimulate(|r| send(r, b, Action::Snooze(5))).await;
    rig.run_until(t("2026-03-02T09:20:01Z")).await;
    let again = rig.shown();
    assert_eq!(again.len(), 3, "the snooze came back once");
    assert!(again[2].notification.body.contains("snoozed reminder"));
    rig.stimulate(|r| send(r, again[2].id, Action::Dismiss))
        .await;
    rig.run_for(Duration::minutes(30)).await;
    assert_eq!(rig.notifier.count(), 3, "nothing after the dismiss");
    tokio::task::yield_now().await;
    let closed = rig.notifier.closed();
    assert!(
        closed.contains(&b) && closed.contains(&again[2].id),
        "{closed:?}"
    );
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_takes_the_notifications_still_on_screen_off_it() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![
        occ("a", t("2026-03-02T09:10:00Z")),
        occ("b", t("2026-03-02T09:20:00Z")),
        occ("c", t("2026-03-02T09:30:00Z")),
    ];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, no_start()).await;
    rig.run_until(t("2026-03-02T09:26:00Z")).await;
    let ids: Vec<_> = rig.shown().iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), 3, "{:?}", rig.shown());
    // The user dismissed a's; the server closed b's itself (its timeout): only c's is
    // still on screen.
    rig.stimulate(|r| {
        r.events
            .send(NotifierEvent::Action {
                id: ids[0],
                action: Action::Dismiss,
            })
            .unwrap()
    })
    .await;
    rig.stimulate(|r| r.events.send(NotifierEvent::Closed { id: ids[1] }).unwrap())
        .await;
    tokio::task::yield_now().await;
    assert_eq!(rig.notifier.closed(), vec![ids[0]]);

    let (_, notifier) = rig.stop().await;
    assert_eq!(
        notifier.closed(),
        vec![ids[0], ids[2]],
        "shutdown closes what is on screen, once, and nothing else"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_show_stays_claimed_is_retried_within_seconds_and_health_says_so() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![
        occ("a", t("2026-03-02T09:10:00Z")),
        occ("b", t("2026-03-02T09:30:00Z")),
    ];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, no_start()).await;
    // The server went away: three calls fail (a lost connection, a restart).
    rig.notifier.fail_next(3);
    rig.run_until(t("2026-03-02T09:05:03Z")).await;
    assert_eq!(rig.notifier.failed_calls(), 2);
    assert!(rig.status.borrow().failing);
    let h = health::read(&rig.pool).await.unwrap();
    let since = h.failing_since.unwrap() - t("2026-03-02T09:05:00Z");
    assert!(
        since >= Duration::zero() && since < Duration::seconds(1),
        "{since}"
    );
    assert_eq!(h.pending, 1);
    let problem = h.problem().unwrap();
    assert!(
        problem.contains("failing") && problem.contains("1 reminder waiting"),
        "{problem}"
    );

    rig.run_until(t("2026-03-02T09:26:00Z")).await;
    let shown = rig.shown();
    assert_eq!(shown.len(), 2, "a once (after retries), then b");
    assert_eq!(shown[0].notification.title, "Meeting a");
    let late = shown[0].at - t("2026-03-02T09:05:00Z");
    assert!(
        late <= Duration::seconds(7),
        "retried within seconds: {late}"
    );
    assert_eq!(rig.notifier.failed_calls(), 3);
    assert!(!rig.status.borrow().failing);
    let h = health::read(&rig.pool).await.unwrap();
    assert_eq!(h.failing_since, None);
    assert_eq!(h.pending, 0);
    assert!(h.problem().is_none());
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_claimed_but_unshown_reminder_is_shown_once_after_a_restart() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![occ("a", t("2026-03-02T09:10:00Z"))];
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda.clone(), no_start()).await;
    rig.notifier.fail_next(1000);
    rig.run_until(t("2026-03-02T09:05:10Z")).await;
    assert_eq!(rig.notifier.count(), 0);
    let (pool, _) = rig.stop().await;
    assert_eq!(Ledger::new(pool.clone()).pending().await.unwrap(), 1);

    let mut rig = Rig::start(clock.clone(), pool, agenda, no_start()).await;
    rig.run_until(t("2026-03-02T09:20:00Z")).await;
    assert_eq!(rig.notifier.count(), 1, "{:#?}", rig.shown());
    assert_eq!(Ledger::new(rig.pool.clone()).pending().await.unwrap(), 0);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_300_meetings_and_100_valarms_is_a_handful_of_notifications_on_time() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let ten = t("2026-03-02T10:00:00Z");
    let mut agenda: Vec<Occurrence> = (0..300).map(|i| occ(&format!("m{i:03}"), ten)).collect();
    let mut many = occ("alarms", t("2026-03-02T10:30:00Z"));
    many.alarms = (1..=100)
        .map(|m| AlarmTrigger::Relative { seconds: -60 * m })
        .collect();
    agenda.push(many);
    let mut rig = Rig::start(
        clock.clone(),
        pool(&dir).await,
        agenda,
        ReminderConfig::default(),
    )
    .await;
    rig.run_until(t("2026-03-02T10:31:00Z")).await;
    let shown = rig.shown();
    let got: Vec<(String, DateTime<Utc>)> = shown
        .iter()
        .map(|s| (s.notification.title.clone(), s.at))
        .collect();
    let expect = [
        (
            "300 meetings start at 10:00 (in 5 min)",
            "2026-03-02T09:55:00Z",
        ),
        ("300 meetings start at 10:00 (now)", "2026-03-02T10:00:00Z"),
        ("Meeting alarms", "2026-03-02T10:25:00Z"), // lead (= the -5 min VALARM)
        ("Meeting alarms", "2026-03-02T10:27:00Z"), // the three latest VALARMs
        ("Meeting alarms", "2026-03-02T10:28:00Z"),
        ("Meeting alarms", "2026-03-02T10:29:00Z"),
        ("Meeting alarms", "2026-03-02T10:30:00Z"), // at start
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for ((title, at), (et, ed)) in got.iter().zip(expect) {
        assert_eq!(title, et);
        let late = *at - t(ed);
        assert!(
            late >= Duration::zero() && late <= Duration::milliseconds(50),
            "{title} off by {late}"
        );
    }
    assert_eq!(shown[0].notification.actions, vec![Action::Open]);
    // The alarms of one meeting replace each other: one notification on screen.
    let first = shown[2].id;
    assert!(shown[3..]
        .iter()
        .all(|s| s.notification.replaces == Some(first)));
    // An Open on the burst opens the window and closes it.
    let burst = shown[1].id;
    rig.stimulate(|r| {
        r.events
            .send(NotifierEvent::Action {
                id: burst,
                action: Action::Open,
            })
            .unwrap()
    })
    .await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::OpenWindow);
    tokio::task::yield_now().await;
    assert_eq!(rig.notifier.closed(), vec![burst]);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn several_alarms_of_one_meeting_due_at_once_give_one_notification() {
    // A resume after 20 minutes: the lead, two VALARMs and the start are all due.
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let mut o = occ("a", t("2026-03-02T09:10:00Z"));
    o.alarms = vec![
        AlarmTrigger::Relative { seconds: -120 },
        AlarmTrigger::Relative { seconds: -60 },
    ];
    let mut rig = Rig::start(
        clock.clone(),
        pool(&dir).await,
        vec![o],
        ReminderConfig::default(),
    )
    .await;
    rig.run_until(t("2026-03-02T09:01:00Z")).await;
    clock.jump(Duration::minutes(11));
    rig.stimulate(|r| r.handle.wake()).await;
    rig.run_for(Duration::minutes(30)).await;
    let shown = rig.shown();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(shown[0].notification.body.starts_with("started 2 min ago"));
    rig.stop().await;
}

fn titles_at(rig: &Rig) -> Vec<(String, DateTime<Utc>)> {
    rig.shown()
        .iter()
        .map(|s| (s.notification.title.clone(), s.at))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn nagging_repeats_in_place_until_the_user_acts_and_never_after() {
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![
        occ("ignored", t("2026-03-02T09:10:00Z")),
        occ("dismissed", t("2026-03-02T09:40:00Z")),
    ];
    let cfg = ReminderConfig {
        nag: true,
        ..no_start()
    };
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, cfg).await;
    rig.run_until(t("2026-03-02T09:30:00Z")).await;
    let shown = rig.shown();
    let when: Vec<_> = titles_at(&rig).into_iter().map(|(_, at)| at).collect();
    let expect = ["09:05", "09:10", "09:12"].map(|hm| t(&format!("2026-03-02T{hm}:00Z")));
    assert_eq!(when.len(), expect.len(), "{when:?}");
    for (at, due) in when.iter().zip(expect) {
        let late = *at - due;
        assert!(
            late >= Duration::zero() && late <= Duration::milliseconds(5),
            "{at} for {due}"
        );
    }
    // Each one takes the previous one's place and says when.
    assert_eq!(shown[1].notification.replaces, Some(shown[0].id));
    assert_eq!(shown[2].notification.replaces, Some(shown[1].id));
    assert!(shown[1].notification.body.starts_with("now · "));
    assert!(
        shown[2]
            .notification
            .body
            .starts_with("started 2 min ago · "),
        "{}",
        shown[2].notification.body
    );
    assert!(shown[2].notification.urgent);

    // Dismissing the lead reminder of the second meeting ends its nagging.
    rig.run_until(t("2026-03-02T09:35:00Z")).await;
    let lead = rig.shown().last().unwrap().id;
    rig.stimulate(|r| {
        r.events
            .send(NotifierEvent::Action {
                id: lead,
                action: Action::Dismiss,
            })
            .unwrap()
    })
    .await;
    rig.run_until(t("2026-03-02T10:30:00Z")).await;
    assert_eq!(rig.notifier.count(), 4, "{:#?}", titles_at(&rig));
    let (pool, _) = rig.stop().await;
    // And across a restart: the acknowledgement is in the ledger.
    let agenda = vec![occ("dismissed", t("2026-03-02T09:40:00Z"))];
    clock.jump(-Duration::minutes(55));
    let cfg = ReminderConfig {
        nag: true,
        ..no_start()
    };
    let mut rig = Rig::start(clock.clone(), pool, agenda, cfg).await;
    rig.run_until(t("2026-03-02T09:50:00Z")).await;
    assert_eq!(rig.notifier.count(), 0, "{:#?}", titles_at(&rig));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_reminder_window_opens_at_the_start_and_its_actions_are_the_notifications() {
    use calendarbot_core::reminders::AlertAction;
    let _g = NoAutoAdvance::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::new(t(T0)));
    let agenda = vec![
        occ("a", t("2026-03-02T09:10:00Z")),
        occ("b", t("2026-03-02T09:30:00Z")),
    ];
    let cfg = ReminderConfig {
        alert_window: true,
        nag: true,
        ..no_start()
    };
    let mut rig = Rig::start(clock.clone(), pool(&dir).await, agenda, cfg).await;
    // Not with the lead reminder: only at the start.
    rig.run_until(t("2026-03-02T09:09:00Z")).await;
    assert!(rig.shell.try_recv().is_err());
    assert_eq!(rig.handle.alert(), None);
    rig.run_until(t("2026-03-02T09:10:01Z")).await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::ShowAlert);
    let alert = rig.handle.alert().unwrap();
    assert_eq!(alert.title, "Meeting a");
    assert!(alert.has_link);
    assert_eq!(alert.snooze_minutes, vec![5, 10]);
    let start_notification = rig.shown().last().unwrap().id;

    // Join in the window: the link goes to the shell, the notification and the window
    // close, and the nagging repeat at 09:12 does not come.
    let r = rig.rounds();
    rig.handle.act_on_alert(AlertAction::Join);
    rig.wait_round(r).await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::CloseAlert);
    assert_eq!(
        rig.shell.try_recv().unwrap(),
        ShellRequest::Join {
            url: "https://meet.google.com/a".into()
        }
    );
    assert_eq!(rig.handle.alert(), None);
    tokio::task::yield_now().await;
    assert_eq!(rig.notifier.closed(), vec![start_notification]);
    rig.run_until(t("2026-03-02T09:20:00Z")).await;
    assert_eq!(rig.notifier.count(), 2, "{:#?}", titles_at(&rig));

    // b: snoozed from the window, it comes back once, with the window again.
    rig.run_until(t("2026-03-02T09:30:01Z")).await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::ShowAlert);
    let r = rig.rounds();
    rig.handle.act_on_alert(AlertAction::Snooze { minutes: 5 });
    rig.wait_round(r).await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::CloseAlert);
    rig.run_until(t("2026-03-02T09:35:01Z")).await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::ShowAlert);
    let last = rig.shown();
    assert!(last
        .last()
        .unwrap()
        .notification
        .body
        .contains("snoozed reminder"));
    // A Dismiss on the notification closes the window too.
    let id = last.last().unwrap().id;
    rig.stimulate(|r| {
        r.events
            .send(NotifierEvent::Action {
                id,
                action: Action::Dismiss,
            })
            .unwrap()
    })
    .await;
    assert_eq!(rig.shell.try_recv().unwrap(), ShellRequest::CloseAlert);
    assert_eq!(rig.handle.alert(), None);
    rig.run_until(t("2026-03-02T10:30:00Z")).await;
    assert_eq!(rig.notifier.count(), 5, "{:#?}", titles_at(&rig));
    rig.stop().await;
}
