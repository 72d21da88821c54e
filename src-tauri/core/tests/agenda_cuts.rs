//! A calendar the agenda's budget cuts says so in its health (issue 15, "say in the
//! source's health what was cut"): the backend's agenda (what the tray, the window and the
//! reminders read) over a real SQLite file, with a local feed of minutely rules too dense
//! for the agenda's budget. The source turns "warning" with the words of the cut, and
//! back to "ok" once the feed is reasonable again.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{TimeZone, Utc};

use calendarbot_core::api;
use calendarbot_core::backend::{self, Backend};
use calendarbot_core::cache::SourceStatus;
use calendarbot_core::clock::TestClock;
use calendarbot_core::paths::Paths;
use calendarbot_core::refresh;
use calendarbot_core::sources::NewSource;

/// `n` events repeating every minute from 2 March 2026.
fn minutely(n: usize) -> String {
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cuts//EN\r\n");
    for i in 0..n {
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:spam{i}@cuts\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20260302T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\n\
             SUMMARY:Spam {i}\r\nEND:VEVENT\r\n"
        ));
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

fn write(path: &std::path::Path, body: &str, generation: u64) {
    std::fs::write(path, body).unwrap();
    // A new modification time for each generation: the file source's validator.
    let at = SystemTime::now() + Duration::from_secs(generation);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(at)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_cut_by_the_agendas_budget_is_a_warning_in_words_until_it_fits() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("dense.ics");
    // 8 days of 12 minutely rules: 138,240 occurrences, over the agenda's 100,000.
    write(&feed, &minutely(12), 1);
    let clock = Arc::new(TestClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    ));
    let backend = Backend::open(Paths::under(dir.path()), clock.clone())
        .await
        .unwrap();
    let ctx = backend.ctx();
    let new = NewSource {
        location: feed.display().to_string(),
        name: Some("Dense".into()),
        ..Default::default()
    };
    api::sources::add(ctx, new, false).await.unwrap();
    let sync = || async {
        let deps = backend::pipeline_deps(backend.paths(), backend.pool().clone(), clock.clone())
            .await
            .unwrap();
        refresh::sync(deps).await.unwrap();
        backend.recompute_agenda().await.unwrap();
        api::sources::health(ctx).await.unwrap().remove(0)
    };

    let h = sync().await;
    assert_eq!(h.status, SourceStatus::Warning, "{h:?}");
    let cut = h.cut.clone().expect("no cut recorded");
    assert!(
        cut.starts_with("the agenda shows only part of this calendar: "),
        "{cut}"
    );
    assert!(h.last_error.is_none(), "a cut is not a fetch error: {h:?}");
    // The window's view of the same health carries the words too.
    let views = api::sources::views(ctx).await.unwrap();
    assert_eq!(
        views[0].health.as_ref().unwrap().cut.as_deref(),
        Some(&*cut)
    );
    // Every event still shows (its first instance at least).
    let shown = &backend.agenda().occurrences;
    for i in 0..12 {
        assert!(
            shown.iter().any(|o| o.summary == format!("Spam {i}")),
            "{i}"
        );
    }

    // A feed that fits: the warning goes.
    write(&feed, &minutely(1), 2);
    let h = sync().await;
    assert_eq!(
        (h.status, h.cut.as_deref()),
        (SourceStatus::Ok, None),
        "{h:?}"
    );
}
