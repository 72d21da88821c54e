//! The backend's agenda loop outlives a database fault: it keeps the last agenda, shows
//! the failure in the loop health, and recovers when the database answers again. The
//! fault is real: the `sources` table is renamed away on the app's own SQLite file.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use calendarbot_core::backend::{retry_delay, Backend, LoopHealth, AGENDA_LOOP};
use calendarbot_core::clock::TestClock;
use calendarbot_core::paths::Paths;

fn agenda(loops: &[LoopHealth]) -> Option<LoopHealth> {
    loops.iter().find(|l| l.name == AGENDA_LOOP).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agenda_loop_survives_a_database_error_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new(Utc.with_ymd_and_hms(2026, 5, 6, 6, 0, 0).unwrap());
    let backend = Backend::open(Paths::under(dir.path()), Arc::new(clock))
        .await
        .unwrap();
    let before = backend.agenda();
    let mut loops = backend.subscribe_loops();
    backend.start();

    sqlx::query("ALTER TABLE sources RENAME TO sources_away")
        .execute(backend.pool())
        .await
        .unwrap();
    backend.notify_changed();
    let bound = Duration::from_secs(30);
    let failing = tokio::time::timeout(
        bound,
        loops.wait_for(|l| agenda(l).is_some_and(|a| a.failures > 0)),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    let failing = agenda(&failing).unwrap();
    assert!(
        failing.last_error.as_deref().unwrap().contains("sources"),
        "{failing:?}"
    );
    assert!(failing.retry_at.is_some() && failing.failing_since.is_some());
    // The last good agenda is still what the tray and the reminders see.
    assert_eq!(backend.agenda().occurrences, before.occurrences);
    assert!(
        backend
            .tasks()
            .report()
            .active
            .iter()
            .any(|t| t.name == AGENDA_LOOP),
        "the loop still runs"
    );

    sqlx::query("ALTER TABLE sources_away RENAME TO sources")
        .execute(backend.pool())
        .await
        .unwrap();
    backend.notify_changed();
    let healthy = tokio::time::timeout(
        bound,
        loops.wait_for(|l| agenda(l).is_some_and(|a| a.failures == 0)),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    let healthy = agenda(&healthy).unwrap();
    assert_eq!((healthy.retry_at, healthy.failing_since), (None, None));
    assert!(backend.agenda().demo && !backend.agenda().occurrences.is_empty());
    backend.shutdown(Duration::from_secs(5)).await;
}

#[test]
fn retries_back_off_exponentially_up_to_a_cap() {
    let secs = |n| retry_delay(n).as_secs_f64();
    assert!((1.0..=3.0).contains(&secs(1)), "{}", secs(1));
    assert!((4.0..=12.0).contains(&secs(3)), "{}", secs(3));
    for n in [10, 100, u32::MAX] {
        assert!(secs(n) <= 300.0, "{n}: {}", secs(n));
    }
}
