//! The pipeline end to end with a stand-in parser: scheduler, "refresh now", change
//! notifications, local files, cancellation, and the due-time rule.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use calendarbot_core::cache::{self, FeedState};
use calendarbot_core::fetch::breaker::{Breaker, CircuitState};
use calendarbot_core::fetch::Validators;
use calendarbot_core::monitor::Tasks;
use calendarbot_core::refresh::{self, next_due, OutcomeKind, Pipeline, PipelineOptions};
use calendarbot_core::settings::Settings;
use calendarbot_core::sources::{AuthKind, Source, SourceKind};
use chrono::{TimeZone, Utc};
use fetch_common::*;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn scheduler_fetches_due_sources_and_wakes_on_refresh_now() {
    let version = Arc::new(Mutex::new(("a", 2usize)));
    let v = version.clone();
    let server = Server::start(move |_| {
        let (p, n) = *v.lock().unwrap();
        Reply::ok(feed(p, n))
    })
    .await;
    let env = Env::new(quick_config()).await;
    let id = env.add(&server.url("/cal.ics")).await;
    let mut running = Running::start(&env);
    running.committed("the first refresh").await;
    assert_eq!(cached_uids(&env.db_path(), id).await, vec!["a-0", "a-1"]);
    // Not due again for 15 min: the scheduler says it sleeps until then, and it has
    // not fetched again.
    let next = running.next_round().await;
    assert!(next >= Utc::now() + chrono::Duration::minutes(14), "{next}");
    assert_eq!(server.count(), 1);
    *version.lock().unwrap() = ("b", 3);
    running.pipeline.refresh_now();
    running.committed("the refresh asked for").await;
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 3);
    assert_eq!(server.count(), 2);
    running.stop().await;
}

/// A pipeline with its scheduler running, as the app runs it.
struct Running {
    pipeline: Pipeline,
    changes: tokio::sync::watch::Receiver<u64>,
    cancel: CancellationToken,
    tasks: Tasks,
}

impl Running {
    fn start(env: &Env) -> Self {
        let cancel = CancellationToken::new();
        let tasks = Tasks::new();
        let pipeline = Pipeline::start(env.deps.clone(), cancel.clone(), &tasks);
        let changes = pipeline.subscribe();
        pipeline.spawn_scheduler();
        Self {
            pipeline,
            changes,
            cancel,
            tasks,
        }
    }

    /// Waits (at most 5 s) for the next commit that changed events.
    async fn committed(&mut self, what: &str) {
        tokio::time::timeout(Duration::from_secs(5), self.changes.changed())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .unwrap();
    }

    /// Waits (at most 5 s) until the scheduler has planned its next wake-up.
    async fn next_round(&self) -> chrono::DateTime<Utc> {
        let mut health = self.pipeline.scheduler_health();
        let h = tokio::time::timeout(
            Duration::from_secs(5),
            health.wait_for(|h| h.next_round.is_some()),
        )
        .await
        .expect("the scheduler planned no next round")
        .unwrap()
        .clone();
        h.next_round.unwrap()
    }

    async fn stop(self) {
        self.cancel.cancel();
        self.tasks.tracker().close();
        tokio::time::timeout(Duration::from_secs(2), self.tasks.tracker().wait())
            .await
            .expect("drain within its bound");
    }
}

#[tokio::test]
async fn cancel_during_a_slow_fetch_writes_nothing_and_drains_fast() {
    // The server says when the slow request arrived: the test cancels mid-fetch on
    // that signal, not after a guessed sleep.
    let arrived: Arc<Mutex<Option<tokio::sync::oneshot::Sender<()>>>> = Arc::default();
    let (server, mode) = {
        let mode = Arc::new(Mutex::new(Reply::ok(feed("good", 2))));
        let (m, a) = (mode.clone(), arrived.clone());
        (
            Server::start(move |_| {
                if let Some(tx) = a.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                m.lock().unwrap().clone()
            })
            .await,
            mode,
        )
    };
    let cfg = calendarbot_core::fetch::FetchConfig {
        total_timeout: Duration::from_secs(30),
        read_timeout: Duration::from_secs(30),
        ..quick_config()
    };
    let env = Env::new(cfg).await;
    let id = env.add(&server.url("/cal.ics")).await;
    refresh::sync(env.deps.clone()).await.unwrap();
    let before = cache::feed_state(&env.pool, id).await.unwrap();
    *mode.lock().unwrap() = Reply::Dribble {
        body: feed("new", 2).into_bytes(),
        every: Duration::from_millis(200),
    };
    let (tx, mid_fetch) = tokio::sync::oneshot::channel();
    *arrived.lock().unwrap() = Some(tx);
    let cancel = CancellationToken::new();
    let tasks = Tasks::new();
    let pipeline = Pipeline::start(env.deps.clone(), cancel.clone(), &tasks);
    let p = pipeline.clone();
    let run = tokio::spawn(async move { p.refresh_all().await });
    mid_fetch.await.unwrap();
    cancel.cancel();
    tasks.tracker().close();
    let out = run.await.unwrap().unwrap();
    tokio::time::timeout(Duration::from_secs(2), tasks.tracker().wait())
        .await
        .expect("drain");
    assert_eq!(out[0].kind, OutcomeKind::Cancelled);
    assert_eq!(
        cached_uids(&env.db_path(), id).await,
        vec!["good-0", "good-1"]
    );
    let after = cache::feed_state(&env.pool, id).await.unwrap();
    assert_eq!(before, after, "a cancelled refresh changed the feeds row");
}

#[tokio::test]
async fn local_file_is_reread_only_when_its_mtime_changes() {
    let env = Env::new(quick_config()).await;
    let path = env.dir.path().join("local.ics");
    std::fs::write(&path, feed("f1", 2)).unwrap();
    let id = env.add(path.to_str().unwrap()).await;
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out[0].kind, OutcomeKind::Updated { events: 2 });
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out[0].kind, OutcomeKind::NotModified);
    std::fs::write(&path, feed("f2", 3)).unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out[0].kind, OutcomeKind::Updated { events: 3 });
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 3);
    // A file that disappears keeps its cached data.
    std::fs::remove_file(&path).unwrap();
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert!(
        matches!(out[0].kind, OutcomeKind::Failed { ref message, .. } if message == "file not found")
    );
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 3);
}

/// A saved file is picked up by its watch within a moment, with no "refresh now" and
/// no polling (the poll interval is an hour here).
#[tokio::test]
async fn a_watched_file_is_reread_when_saved() {
    let mut env = Env::new(quick_config()).await;
    env.deps.options.file_check = Duration::from_secs(3600);
    let path = env.dir.path().join("watched.ics");
    std::fs::write(&path, feed("w1", 2)).unwrap();
    let id = env.add(path.to_str().unwrap()).await;
    let mut running = Running::start(&env);
    running.committed("the first read").await;
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 2);

    // Saved the way editors do: a new file renamed over the old one.
    let tmp = env.dir.path().join(".watched.ics.tmp");
    std::fs::write(&tmp, feed("w2", 4)).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    running.committed("the watch to pick up the save").await;
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 4);

    // And written in place.
    std::fs::write(&path, feed("w3", 1)).unwrap();
    running.committed("the watch to pick up the write").await;
    assert_eq!(cached_uids(&env.db_path(), id).await, vec!["w3-0"]);
    running.stop().await;
}

#[tokio::test]
async fn a_parser_panic_is_a_failure_not_a_crash() {
    let server = Server::start(|_| Reply::ok(feed("x", 1))).await;
    let env = Env::with_parser(quick_config(), Arc::new(|_: &[u8]| panic!("engine bug"))).await;
    env.add(&server.url("/cal.ics")).await;
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert!(
        matches!(out[0].kind, OutcomeKind::Failed { ref code, .. } if code == "parse"),
        "{out:?}"
    );
}

#[tokio::test]
async fn many_sources_through_a_small_channel() {
    // Back-pressure: 12 sources, a channel of 1, concurrency 3: all stored, in order.
    let server = Server::start(|req| {
        let n: usize = req
            .path
            .trim_start_matches("/s")
            .trim_end_matches(".ics")
            .parse()
            .unwrap_or(1);
        Reply::ok(feed(&format!("s{n}"), 50 + n))
    })
    .await;
    let mut env = Env::new(quick_config()).await;
    env.deps.options = PipelineOptions {
        concurrency: 3,
        channel_capacity: 1,
        ..PipelineOptions::default()
    };
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(env.add(&server.url(&format!("/s{i}.ics"))).await);
    }
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out.len(), 12);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(cached_uids(&env.db_path(), *id).await.len(), 50 + i);
    }
}

fn source(kind: SourceKind) -> Source {
    Source {
        id: 1,
        name: "s".into(),
        kind,
        display: "https://h".into(),
        color: None,
        enabled: true,
        auth: AuthKind::None,
        interval_minutes: None,
        muted: false,
        lead_minutes: None,
        secret_store: None,
    }
}

fn state(checked: chrono::DateTime<Utc>) -> FeedState {
    FeedState {
        source_id: 1,
        meta: None,
        validators: Validators::default(),
        last_success: Some(checked),
        last_checked: Some(checked),
        last_error: None,
        error_kind: None,
        breaker: Breaker::default(),
        retry_after: None,
        event_count: 0,
        empty_answers: 0,
        cut: None,
    }
}

#[test]
fn due_times_follow_interval_feed_hint_failures_breaker_and_retry_after() {
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let s = Settings::default();
    let o = PipelineOptions::default();
    let http = source(SourceKind::Http);
    assert!(next_due(&http, None, &s, &o, true) < t);
    let st = state(t);
    let due = next_due(&http, Some(&st), &s, &o, true);
    assert!(
        due >= t + chrono::Duration::minutes(15) && due <= t + chrono::Duration::minutes(17),
        "{due}"
    );
    // The feed asks for 2 h: never sooner.
    let mut hinted = st.clone();
    hinted.meta = Some(calendarbot_core::ics::CalendarMeta {
        refresh_interval_secs: Some(7200),
        ..Default::default()
    });
    assert!(next_due(&http, Some(&hinted), &s, &o, true) >= t + chrono::Duration::hours(2));
    // After failures: 1, 2, 4 min …
    let mut failed = st.clone();
    failed.last_error = Some("timed out".into());
    failed.breaker.consecutive_failures = 3;
    assert_eq!(
        next_due(&http, Some(&failed), &s, &o, true),
        t + chrono::Duration::minutes(4)
    );
    // … not while the circuit is open, nor before Retry-After.
    failed.breaker.state = CircuitState::Open;
    failed.breaker.open_until = Some(t + chrono::Duration::minutes(10));
    assert_eq!(
        next_due(&http, Some(&failed), &s, &o, true),
        t + chrono::Duration::minutes(10)
    );
    failed.retry_after = Some(t + chrono::Duration::minutes(20));
    assert_eq!(
        next_due(&http, Some(&failed), &s, &o, true),
        t + chrono::Duration::minutes(20)
    );
    // Files that cannot be watched: an mtime check every minute; watched ones wait for
    // a change (or the interval).
    let file = source(SourceKind::File);
    assert_eq!(
        next_due(&file, Some(&st), &s, &o, true),
        t + chrono::Duration::minutes(1)
    );
    assert!(next_due(&file, Some(&st), &s, &o, false) >= t + chrono::Duration::minutes(15));
}
