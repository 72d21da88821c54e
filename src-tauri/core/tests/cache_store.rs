//! The cache with hand-built calendars: round trips, atomic replacement, batches of
//! 100, removal, and case 50 (4 concurrent writers and a long reader, no SQLITE_BUSY).

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::sync::Arc;

use calendarbot_core::cache::{self, StatusUpdate};
use calendarbot_core::fetch::breaker::Breaker;
use calendarbot_core::fetch::{ErrorKind, FetchError, Validators};
use calendarbot_core::ics::{Calendar, CalendarMeta};
use calendarbot_core::settings::Settings;
use calendarbot_core::sources::{self, NewSource};
use chrono::Utc;
use fetch_common::*;

fn calendar(prefix: &str, n: usize) -> Calendar {
    Calendar {
        meta: CalendarMeta {
            name: Some(format!("cal {prefix}")),
            refresh_interval_secs: Some(3600),
            ..Default::default()
        },
        events: (0..n).map(|i| record(&format!("{prefix}-{i}"))).collect(),
    }
}

#[tokio::test]
async fn store_and_load_round_trip_with_batches() {
    let env = Env::new(quick_config()).await;
    let a = env.add("https://a.example/x.ics").await;
    let b = env.add("https://b.example/y.ics").await;
    let v = Validators {
        etag: Some("\"e\"".into()),
        last_modified: None,
        file_mtime: None,
    };
    let big = calendar("a", 1234);
    cache::store_calendar(&env.pool, a, &big, &v, Utc::now())
        .await
        .unwrap();
    cache::store_calendar(
        &env.pool,
        b,
        &calendar("b", 0),
        &Validators::default(),
        Utc::now(),
    )
    .await
    .unwrap();
    let loaded = cache::load_calendars(&env.pool).await.unwrap();
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[0].source.id, a);
    assert_eq!(loaded[0].calendar, big);
    assert_eq!(loaded[1].calendar.events.len(), 0);
    assert_eq!(loaded[1].calendar.meta.name.as_deref(), Some("cal b"));
    let st = cache::feed_state(&env.pool, a).await.unwrap();
    assert_eq!(st.validators.etag.as_deref(), Some("\"e\""));
    assert_eq!(st.event_count, 1234);

    // Replacing drops the old events entirely.
    cache::store_calendar(&env.pool, a, &calendar("a2", 7), &v, Utc::now())
        .await
        .unwrap();
    let uids = cached_uids(&env.db_path(), a).await;
    assert_eq!(uids.len(), 7);
    assert!(uids.iter().all(|u| u.starts_with("a2-")));

    // A failure updates health only.
    let err = FetchError::new(ErrorKind::Timeout);
    let mut br = Breaker::default();
    br.record_failure(Utc::now(), &Default::default());
    cache::store_status(
        &env.pool,
        a,
        &StatusUpdate::Failed {
            at: Utc::now(),
            error: err,
            breaker: br,
        },
    )
    .await
    .unwrap();
    assert_eq!(cached_uids(&env.db_path(), a).await.len(), 7);
    let h = cache::health(&env.pool, Utc::now(), &Settings::default())
        .await
        .unwrap();
    assert_eq!(h[0].last_error.as_deref(), Some("timed out"));
    assert_eq!(h[0].error_code.as_deref(), Some("timeout"));
    assert_eq!(h[0].status, "warning");
    assert_eq!(h[1].status, "ok");

    // Disabled sources are not loaded; removed ones lose their cache.
    sources::update(
        &env.pool,
        b,
        sources::SourceUpdate {
            enabled: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(cache::load_calendars(&env.pool).await.unwrap().len(), 1);
    sources::remove(&env.pool, &env.deps.secrets, a)
        .await
        .unwrap();
    assert!(cached_uids(&env.db_path(), a).await.is_empty());
    assert!(cache::load_calendars(&env.pool).await.unwrap().is_empty());
}

#[tokio::test]
async fn health_reports_pending_stale_and_secret_store() {
    let env = Env::new(quick_config()).await;
    let a = env.add("https://a.example/x.ics").await;
    let now = Utc::now();
    let h = cache::health(&env.pool, now, &Settings::default())
        .await
        .unwrap();
    assert_eq!(h[0].status, "pending");
    assert!(
        !h[0].stale,
        "a source never fetched is pending, not out of date"
    );
    assert_eq!(h[0].secret_store, Some("file"));
    cache::store_calendar(&env.pool, a, &calendar("a", 1), &Validators::default(), now)
        .await
        .unwrap();
    // The feed asks for 1 h: stale after 2 h, not after 2 × 15 min.
    let h = cache::health(
        &env.pool,
        now + chrono::Duration::minutes(90),
        &Settings::default(),
    )
    .await
    .unwrap();
    assert!(!h[0].stale);
    let h = cache::health(
        &env.pool,
        now + chrono::Duration::minutes(121),
        &Settings::default(),
    )
    .await
    .unwrap();
    assert!(h[0].stale);
    assert_eq!(h[0].status, "error");
    assert_eq!(h[0].age_seconds, Some(121 * 60));
}

/// A calendar's own reminder settings are stored, validated, updated, and become the
/// planner's overrides.
#[tokio::test]
async fn per_calendar_reminder_settings_reach_the_reminder_config() {
    use calendarbot_core::reminders::plan::ReminderConfig;
    let env = Env::new(quick_config()).await;
    let add = |name: &str, lead, muted| NewSource {
        location: format!("/tmp/{name}.ics"),
        name: Some(name.into()),
        lead_minutes: lead,
        muted,
        ..Default::default()
    };
    let team = sources::add(&env.pool, &env.deps.secrets, add("team", Some(15), false))
        .await
        .unwrap();
    let holidays = sources::add(&env.pool, &env.deps.secrets, add("holidays", None, true))
        .await
        .unwrap();
    let plain = sources::add(&env.pool, &env.deps.secrets, add("plain", None, false))
        .await
        .unwrap();
    assert!(matches!(
        sources::add(&env.pool, &env.deps.secrets, add("bad", Some(-1), false)).await,
        Err(sources::SourceError::InvalidLead)
    ));
    let cfg = ReminderConfig::default().with_sources(&sources::list(&env.pool).await.unwrap());
    assert_eq!(cfg.overrides[&team.id].lead_minutes, Some(15));
    assert_eq!(cfg.overrides[&holidays.id].enabled, Some(false));
    assert!(!cfg.overrides.contains_key(&plain.id));

    let update = sources::SourceUpdate {
        lead_minutes: Some(None),
        muted: Some(true),
        ..Default::default()
    };
    let team = sources::update(&env.pool, team.id, update).await.unwrap();
    assert_eq!((team.lead_minutes, team.muted), (None, true));
    let bad = sources::SourceUpdate {
        lead_minutes: Some(Some(2000)),
        ..Default::default()
    };
    assert!(sources::update(&env.pool, team.id, bad).await.is_err());
}

#[tokio::test]
async fn sources_crud_keeps_secrets_out_of_the_database() {
    let env = Env::new(quick_config()).await;
    let secret_url = "https://calendar.example.com/calendar/ical/me%40x.org/private-7f3a9c1e/basic.ics?token=TOPSECRET";
    let s = sources::add(
        &env.pool,
        &env.deps.secrets,
        NewSource {
            location: secret_url.into(),
            name: Some("Work".into()),
            color: Some("#3366ff".into()),
            auth: sources::Auth::Basic {
                user: "me".into(),
                password: "hunter2".into(),
            },
            interval_minutes: Some(30),
            lead_minutes: Some(15),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.display, "https://calendar.example.com");
    assert_eq!((s.lead_minutes, s.muted), (Some(15), false));
    assert_eq!(s.auth, sources::AuthKind::Basic);
    let dup = sources::add(
        &env.pool,
        &env.deps.secrets,
        NewSource {
            location: secret_url.into(),
            name: Some("Work".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(dup, Err(sources::SourceError::DuplicateName(_))));
    assert!(sources::add(
        &env.pool,
        &env.deps.secrets,
        NewSource {
            location: "x".into(),
            color: Some("blue".into()),
            ..Default::default()
        }
    )
    .await
    .is_err());
    assert_eq!(sources::find(&env.pool, "Work").await.unwrap().id, s.id);
    assert_eq!(
        sources::find(&env.pool, &s.id.to_string())
            .await
            .unwrap()
            .id,
        s.id
    );
    assert_eq!(sources::list(&env.pool).await.unwrap().len(), 1);
    env.pool.close().await;
    let raw = std::fs::read(env.db_path()).unwrap();
    let wal = std::fs::read(env.dir.path().join("cache.sqlite3-wal")).unwrap_or_default();
    for hay in [raw, wal] {
        let text = String::from_utf8_lossy(&hay);
        assert!(
            !text.contains("TOPSECRET")
                && !text.contains("private-7f3a9c1e")
                && !text.contains("hunter2")
        );
    }
    let secrets = std::fs::read_to_string(env.dir.path().join("secrets.json")).unwrap();
    assert!(
        secrets.contains("TOPSECRET"),
        "the file fallback holds the URL"
    );
}

/// Case 50: 4 writers replacing their sources' data in a loop, plus a reader holding a
/// long read transaction: no SQLITE_BUSY reaches anyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn case50_four_writers_and_a_long_reader() {
    let env = Env::new(quick_config()).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(env.add(&format!("https://s{i}.example/x.ics")).await);
    }
    let db = env.db_path();
    // A separate pool, as a second process (the CLI beside the app) would have.
    let reader_pool = calendarbot_core::db::open(&db).await.unwrap();
    // The reader's transaction is open (it has read) before the writers start, and
    // stays open until they are all done: signals, not sleeps.
    let (reading, read_open) = tokio::sync::oneshot::channel();
    let writers_done = Arc::new(tokio::sync::Notify::new());
    let done = writers_done.clone();
    let reader = tokio::spawn(async move {
        let mut tx = reader_pool.begin().await.unwrap();
        let count = "SELECT COUNT(*) FROM events";
        let before: i64 = sqlx::query_scalar(count).fetch_one(&mut *tx).await.unwrap();
        reading.send(()).unwrap();
        done.notified().await;
        let after: i64 = sqlx::query_scalar(count).fetch_one(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        // One snapshot for the whole transaction, however much was written meanwhile.
        assert_eq!(before, after);
    });
    read_open.await.unwrap();
    let mut writers = Vec::new();
    for (w, id) in ids.iter().copied().enumerate() {
        let pool = calendarbot_core::db::open(&db).await.unwrap();
        writers.push(tokio::spawn(async move {
            for round in 0..15 {
                let cal = calendar(&format!("w{w}r{round}"), 250);
                cache::store_calendar(&pool, id, &cal, &Validators::default(), Utc::now()).await?;
                let up = StatusUpdate::NotModified {
                    at: Utc::now(),
                    breaker: Breaker::default(),
                };
                cache::store_status(&pool, id, &up).await?;
            }
            Ok::<_, cache::CacheError>(())
        }));
    }
    for w in writers {
        w.await
            .unwrap()
            .expect("a writer saw an error (SQLITE_BUSY?)");
    }
    writers_done.notify_one();
    reader.await.unwrap();
    for (w, id) in ids.iter().enumerate() {
        let uids = cached_uids(&db, *id).await;
        assert_eq!(uids.len(), 250);
        assert!(uids.iter().all(|u| u.starts_with(&format!("w{w}r14-"))));
    }
}

#[tokio::test]
async fn every_calendar_has_a_colour_and_the_users_wins_over_the_feeds() {
    let env = Env::new(quick_config()).await;
    let a = env.add("https://a.example/x.ics").await;
    let b = env.add("https://b.example/y.ics").await;
    let listed = sources::list(&env.pool).await.unwrap();
    let colour = |id| {
        listed
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.color.clone())
    };
    assert_eq!(colour(a).as_deref(), Some(sources::PALETTE[0]));
    assert_eq!(colour(b).as_deref(), Some(sources::PALETTE[1]));

    // The feed names its own colour; the calendar's (the user's) is what the agenda uses.
    let mut feed = calendar("a", 1);
    feed.meta.color = Some("#000000".into());
    cache::store_calendar(&env.pool, a, &feed, &Validators::default(), Utc::now())
        .await
        .unwrap();
    sources::update(
        &env.pool,
        a,
        sources::SourceUpdate {
            color: Some(Some("#FF8800".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // The cache keeps what the feed said; what is shown has the calendar's colour.
    let cached = cache::load_calendars(&env.pool).await.unwrap();
    assert_eq!(cached[0].calendar.meta.color.as_deref(), Some("#000000"));
    let (shown, demo) = calendarbot_core::backend::load_calendars(&env.pool)
        .await
        .unwrap();
    assert!(!demo);
    assert_eq!(shown[0].calendar.meta.color.as_deref(), Some("#FF8800"));
}
