//! CalDAV against real servers started here on 127.0.0.1: Radicale (its own htpasswd
//! user) and Xandikos (behind the test's authenticating proxy), each seen through a
//! counting proxy.
//!
//! One life cycle per server: discovery through `/.well-known/caldav` and the
//! principal; the first sync into the cache the agenda reads; a changed, a deleted and
//! a new event fetched by exactly two requests; a sync with nothing new in one; a
//! rejected sync-token recovered by a full resync; the getctag/ETag fallback; a server
//! killed mid-sync that leaves the last good data; a wrong password in words.
#![allow(clippy::unwrap_used)]

mod caldav_common;

use caldav_common::{available, fetch_config, fresh_db, settings, Kind, Server, PASSWORD, USER};
use calendarbot_core::caldav::accounts::{self, NewAccount};
use calendarbot_core::caldav::discover;
use calendarbot_core::caldav::http::DavClient;
use calendarbot_core::caldav::store;
use calendarbot_core::caldav::sync::{self, SyncEnv};
use calendarbot_core::caldav::CaldavError;
use calendarbot_core::{cache, sources};
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

fn basic(password: &str) -> sources::Auth {
    sources::Auth::Basic {
        user: USER.into(),
        password: password.into(),
    }
}

async fn summaries(pool: &SqlitePool, source_id: i64) -> Vec<String> {
    let cal = cache::load_calendars(pool)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.source.id == source_id)
        .expect("the calendar is in the cache the agenda reads");
    let mut s: Vec<String> = cal
        .calendar
        .events
        .iter()
        .map(|e| e.summary.clone())
        .collect();
    s.sort();
    s
}

async fn life_cycle(kind: Kind) {
    if !available(kind) {
        return;
    }
    let server = Server::start(kind).await;
    let work = server.mkcalendar("work", "Work", "#FF8800FF").await;
    server.mkcalendar("home", "Home", "#3366CC").await;
    server
        .put_event(&work, "standup", "Standup", "20300105T090000Z")
        .await;
    server
        .put_event(&work, "review", "Review", "20300105T140000Z")
        .await;
    server
        .put_event(&work, "retro", "Retro", "20300106T100000Z")
        .await;

    let dir = tempfile::tempdir().unwrap();
    let (pool, secrets) = fresh_db(dir.path()).await;
    let cfg = fetch_config();
    let cancel = CancellationToken::new();

    // Discovery from the bare server address: well-known, then the principal.
    let client = DavClient::new(&cfg, 10 << 20, false, basic(PASSWORD)).unwrap();
    let found = discover::discover(&client, &server.address(), &cancel)
        .await
        .unwrap();
    let seen = server.proxy.seen();
    assert_eq!(seen[0].method, "PROPFIND");
    assert_eq!(seen[0].path, "/.well-known/caldav");
    assert!(
        seen.iter()
            .any(|s| s.body.contains("current-user-principal")),
        "{seen:?}"
    );
    let work_cal = found.calendars.iter().find(|c| c.name == "Work").unwrap();
    assert_eq!(work_cal.color.as_deref(), Some("#FF8800"));
    assert!(work_cal.supports_sync);
    assert!(found.calendars.iter().any(|c| c.name == "Home"));

    // Add only Work: one source, with the calendar's colour.
    let view = accounts::add(
        &pool,
        &secrets,
        &client,
        NewAccount {
            address: server.address(),
            auth: basic(PASSWORD),
            calendars: Some(vec!["work".into()]),
        },
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!(view.calendars.len(), 1);
    let id = view.calendars[0].source.id;
    let source = sources::get(&pool, id).await.unwrap();
    assert_eq!(source.name, "Work");
    assert_eq!(source.color.as_deref(), Some("#FF8800"));
    let listed = accounts::list(&pool).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].calendars[0].source.id, id);

    let s = settings(&pool).await;
    let env = SyncEnv {
        pool: &pool,
        secrets: &secrets,
        fetch: &cfg,
        settings: &s,
    };

    // First sync: everything, into the agenda's cache.
    server.proxy.reset();
    let first = sync::sync_source(env, id, &cancel).await.unwrap();
    assert!(first.updated);
    assert_eq!((first.fetched, first.events), (3, 3));
    assert_eq!(first.method, "sync-collection");
    assert_eq!(summaries(&pool, id).await, ["Retro", "Review", "Standup"]);

    // A changed, a deleted and a new event: the sync-collection report and one
    // multiget of just the two that changed.
    server
        .put_event(&work, "review", "Review (moved)", "20300105T150000Z")
        .await;
    server.delete_event(&work, "retro").await;
    server
        .put_event(&work, "planning", "Planning", "20300107T080000Z")
        .await;
    server.proxy.reset();
    let second = sync::sync_source(env, id, &cancel).await.unwrap();
    let seen = server.proxy.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(second.requests, 2);
    assert!(seen[0].body.contains("sync-collection"));
    assert!(seen[1].body.contains("calendar-multiget"));
    assert_eq!(seen[1].body.matches("<d:href>").count(), 2);
    assert_eq!((second.fetched, second.deleted, second.events), (2, 1, 3));
    assert_eq!(
        summaries(&pool, id).await,
        ["Planning", "Review (moved)", "Standup"]
    );

    // Nothing new: one request, nothing rewritten, the source healthy.
    server.proxy.reset();
    let idle = sync::sync_source(env, id, &cancel).await.unwrap();
    assert!(!idle.updated);
    assert_eq!(server.proxy.seen().len(), 1);
    let st = cache::feed_state(&pool, id).await.unwrap();
    assert_eq!(st.last_error, None);

    // A sync token the server does not know: dropped, the calendar listed whole once;
    // unchanged ETags are not downloaded again.
    let bogus = match kind {
        Kind::Radicale => "http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000",
        Kind::Xandikos => "0000000000000000000000000000000000000000",
    };
    store::set_sync_token(&pool, id, Some(bogus)).await.unwrap();
    server.proxy.reset();
    let recovered = sync::sync_source(env, id, &cancel).await.unwrap();
    assert!(recovered.full_resync);
    assert_eq!(recovered.fetched, 0);
    assert_eq!(server.proxy.seen().len(), 2);
    let state = store::calendar(&pool, id).await.unwrap().unwrap();
    assert_ne!(state.sync_token.as_deref(), Some(bogus));
    assert_eq!(summaries(&pool, id).await.len(), 3);

    // Without sync-collection: getctag says "unchanged" in one request; after a change,
    // the ETag listing and one multiget.
    sqlx::query("UPDATE caldav_calendars SET supports_sync = 0 WHERE source_id = ?")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let prime = sync::sync_source(env, id, &cancel).await.unwrap();
    assert_eq!(prime.method, "ctag");
    server.proxy.reset();
    let same = sync::sync_source(env, id, &cancel).await.unwrap();
    assert!(!same.updated);
    assert_eq!(server.proxy.seen().len(), 1);
    server
        .put_event(&work, "standup", "Standup (new room)", "20300105T090000Z")
        .await;
    server.proxy.reset();
    let by_ctag = sync::sync_source(env, id, &cancel).await.unwrap();
    assert_eq!((by_ctag.fetched, by_ctag.deleted), (1, 0));
    assert_eq!(server.proxy.seen().len(), 3);
    assert!(summaries(&pool, id)
        .await
        .contains(&"Standup (new room)".to_string()));
    sqlx::query("UPDATE caldav_calendars SET supports_sync = 1 WHERE source_id = ?")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();

    // The server dies mid-sync (killed when the multiget arrives): the sync fails in
    // words, the last good events and the token stay.
    server
        .put_event(
            &work,
            "planning",
            "Planning (cancelled?)",
            "20300107T080000Z",
        )
        .await;
    let before = summaries(&pool, id).await;
    let token_before = store::calendar(&pool, id)
        .await
        .unwrap()
        .unwrap()
        .sync_token;
    server.proxy.reset();
    server.proxy.kill_on(2);
    let err = sync::sync_source(env, id, &cancel).await.unwrap_err();
    assert_eq!(server.proxy.seen().len(), 2);
    assert!(matches!(err, CaldavError::Fetch { .. }), "{err:?}");
    assert_eq!(summaries(&pool, id).await, before);
    assert_eq!(
        store::calendar(&pool, id)
            .await
            .unwrap()
            .unwrap()
            .sync_token,
        token_before
    );
    let st = cache::feed_state(&pool, id).await.unwrap();
    assert!(st.last_error.is_some());
    assert_eq!(st.event_count, 3);
    assert!(!st.last_error.unwrap().contains(PASSWORD));

    // Removing the account removes its source, events and credentials.
    let account = accounts::find(&pool, &listed[0].account.name)
        .await
        .unwrap();
    accounts::remove(&pool, &secrets, &account).await.unwrap();
    assert!(sources::list(&pool).await.unwrap().is_empty());
    assert!(accounts::list(&pool).await.unwrap().is_empty());
    assert_eq!(secrets.get(&format!("source-{id}")).unwrap(), None);
}

async fn wrong_password(kind: Kind) {
    if !available(kind) {
        return;
    }
    let server = Server::start(kind).await;
    server.mkcalendar("work", "Work", "#FF8800").await;
    let dir = tempfile::tempdir().unwrap();
    let (pool, secrets) = fresh_db(dir.path()).await;
    let wrong = "not-the-password-9q";
    let client = DavClient::new(&fetch_config(), 10 << 20, false, basic(wrong)).unwrap();
    let err = accounts::add(
        &pool,
        &secrets,
        &client,
        NewAccount {
            address: server.address(),
            auth: basic(wrong),
            calendars: None,
        },
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CaldavError::Unauthorized { .. }), "{err:?}");
    assert_eq!(
        msg,
        format!(
            "the server http://{} refused the user name or password (401 unauthorized)",
            server.proxy.addr
        )
    );
    assert!(!msg.contains(wrong) && !format!("{err:?}").contains(wrong));
    assert!(sources::list(&pool).await.unwrap().is_empty());
    assert!(accounts::list(&pool).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radicale_life_cycle() {
    life_cycle(Kind::Radicale).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xandikos_life_cycle() {
    life_cycle(Kind::Xandikos).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radicale_wrong_password_in_words() {
    wrong_password(Kind::Radicale).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xandikos_wrong_password_in_words() {
    wrong_password(Kind::Xandikos).await;
}

/// The app's refresh pipeline (what the scheduler and `calendarbot sync` run) syncs a
/// CalDAV calendar over WebDAV, never as a plain feed GET, and its events reach the cache.
#[tokio::test]
async fn the_refresh_pipeline_syncs_a_caldav_calendar_over_webdav() {
    use calendarbot_core::clock::SystemClock;
    use calendarbot_core::fetch::Fetcher;
    use calendarbot_core::monitor::Tasks;
    use calendarbot_core::refresh::{Deps, OutcomeKind, Pipeline, PipelineOptions};
    use std::sync::Arc;

    if !available(Kind::Radicale) {
        return;
    }
    let server = Server::start(Kind::Radicale).await;
    let work = server.mkcalendar("work", "Work", "#FF8800").await;
    server
        .put_event(&work, "standup", "Standup", "20300105T090000Z")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (pool, secrets) = fresh_db(dir.path()).await;
    let cfg = fetch_config();
    let cancel = CancellationToken::new();
    let client = DavClient::new(&cfg, 10 << 20, false, basic(PASSWORD)).unwrap();
    let view = accounts::add(
        &pool,
        &secrets,
        &client,
        NewAccount {
            address: server.address(),
            auth: basic(PASSWORD),
            calendars: None,
        },
        &cancel,
    )
    .await
    .unwrap();
    let id = view.calendars[0].source.id;

    let deps = Deps {
        pool: pool.clone(),
        fetcher: Arc::new(Fetcher::new(cfg).unwrap()),
        secrets: Arc::new(secrets.clone()),
        clock: Arc::new(SystemClock),
        parser: calendarbot_core::refresh::default_parser(),
        options: PipelineOptions::default(),
    };
    let tasks = Tasks::new();
    let pipeline = Pipeline::start(deps, cancel.clone(), &tasks);
    let changes = pipeline.subscribe();
    server.proxy.reset();
    let out = pipeline.refresh_all().await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, OutcomeKind::Updated { events: 1 }, "{out:?}");
    let seen = server.proxy.seen();
    assert!(
        seen.iter().all(|s| s.method != "GET") && seen.iter().any(|s| s.method == "REPORT"),
        "{seen:?}"
    );
    assert_eq!(summaries(&pool, id).await, ["Standup"]);
    assert!(changes.has_changed().unwrap(), "the agenda is told");
    cancel.cancel();
}
