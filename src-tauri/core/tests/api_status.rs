//! `calendarbot status` runs in another process than the app: it sees the app's failing
//! background loops through what the app publishes, and the refresh scheduler is one of
//! them. The scheduler's fault is real: the `sources` table is renamed away.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use calendarbot_core::api::{status, Ctx};
use calendarbot_core::backend::{published_loops, Backend, LoopHealth, SCHEDULER_LOOP};
use calendarbot_core::clock::{SystemClock, TestClock};
use calendarbot_core::paths::Paths;

const BOUND: Duration = Duration::from_secs(30);

fn failing<'a>(loops: &'a [LoopHealth], name: &str) -> Option<&'a LoopHealth> {
    loops.iter().find(|l| l.name == name && l.failures > 0)
}

async fn open(dir: &std::path::Path) -> Arc<Backend> {
    let clock = TestClock::new(Utc.with_ymd_and_hms(2026, 5, 6, 6, 0, 0).unwrap());
    Backend::open(Paths::under(dir), Arc::new(clock))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_running_apps_failing_loops_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let backend = open(dir.path()).await;
    backend.start();
    // Published before loop_failed returns: status, run next, sees it.
    backend.loop_failed("tray", &"the menu could not be set");
    let ctx = Ctx::new(paths.clone(), backend.pool().clone(), Arc::new(SystemClock));
    let app = status::status(&ctx).await.unwrap().app.unwrap();
    assert_eq!(app.snapshot.pid, std::process::id());
    let lines: Vec<String> = app
        .failing_loops
        .iter()
        .filter_map(|l| l.problem())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("background task 'tray' is failing since 06:00:00 UTC (1 in a row: the menu could not be set); next try 06:00:0"),
        "{lines:?}"
    );

    backend.loop_succeeded("tray");
    let app = status::status(&ctx).await.unwrap().app.unwrap();
    assert!(app.failing_loops.is_empty(), "{:?}", app.failing_loops);

    backend.shutdown(Duration::from_secs(5)).await;
    assert!(
        !dir.path().join("loops.json").exists() && published_loops(&paths).is_empty(),
        "removed at shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_schedulers_failures_are_loop_health() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path()).await;
    let mut loops = backend.subscribe_loops();
    backend.start();

    sqlx::query("ALTER TABLE sources RENAME TO sources_away")
        .execute(backend.pool())
        .await
        .unwrap();
    backend.refresh_now();
    let down = tokio::time::timeout(
        BOUND,
        loops.wait_for(|l| failing(l, SCHEDULER_LOOP).is_some()),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    let scheduler = failing(&down, SCHEDULER_LOOP).unwrap();
    assert!(
        scheduler.last_error.as_deref().unwrap().contains("sources"),
        "{scheduler:?}"
    );
    assert!(scheduler.failing_since.is_some() && scheduler.retry_at.is_some());
    assert!(backend
        .loop_health()
        .iter()
        .any(|l| l.name == SCHEDULER_LOOP && l.failures > 0));

    sqlx::query("ALTER TABLE sources_away RENAME TO sources")
        .execute(backend.pool())
        .await
        .unwrap();
    backend.refresh_now();
    let up = tokio::time::timeout(
        BOUND,
        loops.wait_for(|l| {
            l.iter()
                .any(|s| s.name == SCHEDULER_LOOP && s.failures == 0)
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    let scheduler = up.iter().find(|l| l.name == SCHEDULER_LOOP).unwrap();
    assert_eq!((scheduler.failing_since, scheduler.retry_at), (None, None));
    backend.shutdown(Duration::from_secs(5)).await;
}
