//! Network and body faults against a real local server (RELIABILITY.md cases 5, 6, 7,
//! 32-40). Each test first caches a good feed, then injects the fault, and checks both
//! the outcome and that the last good data in the real SQLite file is intact.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use calendarbot_core::cache;
use calendarbot_core::clock::Clock;
use calendarbot_core::fetch::breaker::CircuitState;
use calendarbot_core::fetch::policy::RedirectRefusal;
use calendarbot_core::fetch::{ErrorKind, FetchConfig, Fetched, Fetcher, Validators};
use calendarbot_core::refresh::{self, OutcomeKind, SourceOutcome};
use calendarbot_core::settings::{self, Settings};
use calendarbot_core::sources::{self, NewSource, SourceKind, Target};
use chrono::Utc;
use fetch_common::*;
use tokio_util::sync::CancellationToken;

type Mode = Arc<Mutex<Reply>>;

async fn server_with_mode(initial: Reply) -> (Server, Mode) {
    let mode: Mode = Arc::new(Mutex::new(initial));
    let m = mode.clone();
    let server = Server::start(move |_req| m.lock().unwrap().clone()).await;
    (server, mode)
}

async fn sync_one(env: &Env) -> SourceOutcome {
    let mut out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out.len(), 1, "{out:?}");
    out.remove(0)
}

fn failed_code(o: &SourceOutcome) -> (String, String) {
    match &o.kind {
        OutcomeKind::Failed { code, message } => (code.clone(), message.clone()),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Caches the good 3-event feed, swaps in `fault`, refreshes, and returns the outcome
/// after checking the cache still holds the 3 good events.
async fn fault_keeps_cache(fault: Reply) -> (Env, SourceOutcome) {
    let (server, mode) = server_with_mode(Reply::ok(feed("good", 3))).await;
    let env = Env::new(quick_config()).await;
    let id = env.add(&server.url("/cal.ics")).await;
    assert_eq!(
        sync_one(&env).await.kind,
        OutcomeKind::Updated { events: 3 }
    );
    *mode.lock().unwrap() = fault;
    let outcome = sync_one(&env).await;
    assert_eq!(
        cached_uids(&env.db_path(), id).await,
        vec!["good-0", "good-1", "good-2"]
    );
    let health = cache::health(&env.pool, Utc::now(), &Settings::default())
        .await
        .unwrap();
    assert_eq!(health[0].status, "warning", "{health:?}");
    assert!(health[0].last_error.is_some());
    assert!(health[0].last_success.is_some());
    (env, outcome)
}

#[tokio::test]
async fn case05_empty_200_keeps_cache() {
    let (_env, o) = fault_keeps_cache(Reply::ok(Vec::new())).await;
    assert_eq!(failed_code(&o).0, "empty");
}

#[tokio::test]
async fn case06_truncated_keeps_cache() {
    let mut body = feed("new", 5);
    body.truncate(body.len() / 2);
    let (_env, o) = fault_keeps_cache(Reply::ok(body)).await;
    assert_eq!(failed_code(&o).0, "truncated");
}

#[tokio::test]
async fn case07_html_login_page_keeps_cache() {
    let page = "<!-- Copyright (C) Microsoft Corporation. All rights reserved. -->\r\n<!DOCTYPE html><html><body>Sign in</body></html>";
    let reply = Reply::Full {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: page.as_bytes().to_vec(),
    };
    let (_env, o) = fault_keeps_cache(reply).await;
    let (code, message) = failed_code(&o);
    assert_eq!(code, "web_page");
    assert_eq!(message, "feed returned a web page; link may be revoked");
}

#[tokio::test]
async fn http_404_in_words() {
    let (_env, o) = fault_keeps_cache(Reply::status(404)).await;
    assert_eq!(
        failed_code(&o).1,
        "server said 404 not found: the link may have changed"
    );
}

#[tokio::test]
async fn oversize_keeps_cache() {
    let (server, mode) = server_with_mode(Reply::ok(feed("good", 3))).await;
    let env = Env::new(quick_config()).await;
    let id = env.add(&server.url("/cal.ics")).await;
    settings::set(&env.pool, "fetch.max_mb", "1").await.unwrap();
    assert_eq!(
        sync_one(&env).await.kind,
        OutcomeKind::Updated { events: 3 }
    );
    *mode.lock().unwrap() = Reply::ok(feed("big", 12_000)); // ~1.6 MB
    let (code, message) = failed_code(&sync_one(&env).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("too_large", "feed larger than 1 MB")
    );
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 3);
}

#[tokio::test]
async fn case32_slowloris_stops_at_the_total_timeout_and_others_are_unaffected() {
    let body = feed("slow", 2).into_bytes();
    let (slow, mode) = server_with_mode(Reply::ok(body.clone())).await;
    let fast = Server::start(|_| Reply::ok(feed("fast", 2))).await;
    // read timeout 1 s never fires (a byte every 300 ms); the total of 3 s does.
    let env = Env::new(quick_config()).await;
    let slow_id = env.add(&slow.url("/slow.ics")).await;
    let fast_id = env.add(&fast.url("/fast.ics")).await;
    refresh::sync(env.deps.clone()).await.unwrap();
    *mode.lock().unwrap() = Reply::Dribble {
        body,
        every: Duration::from_millis(300),
    };
    let started = Instant::now();
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2900) && took < Duration::from_secs(6),
        "{took:?}"
    );
    let slow_o = out.iter().find(|o| o.source_id == slow_id).unwrap();
    assert_eq!(failed_code(slow_o), ("timeout".into(), "timed out".into()));
    let fast_o = out.iter().find(|o| o.source_id == fast_id).unwrap();
    assert_eq!(fast_o.kind, OutcomeKind::Updated { events: 2 });
    let st = cache::feed_state(&env.pool, slow_id).await.unwrap();
    assert_eq!(st.breaker.consecutive_failures, 1);
    assert_eq!(
        cached_uids(&env.db_path(), slow_id).await,
        vec!["slow-0", "slow-1"]
    );
}

#[tokio::test]
async fn case33_header_stall_hits_the_read_timeout() {
    let started = Instant::now();
    let (_env, o) = fault_keeps_cache(Reply::Stall {
        for_: Duration::from_secs(30),
    })
    .await;
    assert_eq!(failed_code(&o).0, "timeout");
    // The read timeout (1 s) fires, well before the total (3 s).
    assert!(
        started.elapsed() < Duration::from_millis(2800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn case34_429_retry_after_seconds_blocks_the_source() {
    let (server, mode) = server_with_mode(Reply::ok(feed("good", 3))).await;
    let env = Env::new(quick_config()).await;
    let id = env.add(&server.url("/cal.ics")).await;
    sync_one(&env).await;
    *mode.lock().unwrap() = Reply::status(429).with_header("Retry-After", "120");
    let before = Utc::now();
    let (code, _) = failed_code(&sync_one(&env).await);
    assert_eq!(code, "rate_limited");
    let st = cache::feed_state(&env.pool, id).await.unwrap();
    let ra = st.retry_after.unwrap();
    assert!(ra >= before + chrono::Duration::seconds(119), "{ra}");
    let n = server.count();
    // The next refreshes make no request at all.
    for _ in 0..3 {
        let o = sync_one(&env).await;
        assert!(
            matches!(o.kind, OutcomeKind::Skipped { ref code, .. } if code == "retry_later"),
            "{o:?}"
        );
    }
    assert_eq!(server.count(), n);
    let h = cache::health(&env.pool, Utc::now(), &Settings::default())
        .await
        .unwrap();
    assert_eq!(
        h[0].last_error.as_deref(),
        Some("rate limited by the server")
    );
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 3);
}

#[tokio::test]
async fn case34_503_retry_after_http_date() {
    let when = Utc::now() + chrono::Duration::seconds(300);
    let http_date = when.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let (env, o) =
        fault_keeps_cache(Reply::status(503).with_header("Retry-After", &http_date)).await;
    assert_eq!(failed_code(&o).1, "server said 503 service unavailable");
    let st = cache::feed_state(&env.pool, o.source_id).await.unwrap();
    let ra = st.retry_after.unwrap();
    assert!((ra - when).num_seconds().abs() <= 1, "{ra} vs {when}");
}

#[tokio::test]
async fn case35_five_5xx_open_the_breaker_then_one_probe_closes_it() {
    let (server, mode) = server_with_mode(Reply::ok(feed("good", 3))).await;
    let (env, clock) = Env::new(quick_config()).await.with_test_clock();
    settings::set(&env.pool, "breaker.open_seconds", "2")
        .await
        .unwrap();
    let id = env.add(&server.url("/cal.ics")).await;
    sync_one(&env).await;
    *mode.lock().unwrap() = Reply::status(500);
    for i in 1..=5 {
        failed_code(&sync_one(&env).await);
        let st = cache::feed_state(&env.pool, id).await.unwrap();
        assert_eq!(st.breaker.consecutive_failures, i);
        let expect = if i < 5 {
            CircuitState::Closed
        } else {
            CircuitState::Open
        };
        assert_eq!(st.breaker.state, expect, "after {i}");
    }
    let n = server.count();
    assert_eq!(n, 6);
    // Open: no request.
    let o = sync_one(&env).await;
    assert!(
        matches!(o.kind, OutcomeKind::Skipped { ref code, .. } if code == "circuit_open"),
        "{o:?}"
    );
    assert_eq!(server.count(), n);
    let h = cache::health(&env.pool, clock.now(), &Settings::default())
        .await
        .unwrap();
    assert_eq!(h[0].circuit, CircuitState::Open);
    // After the open period: one probe; it fails → open again.
    clock.advance(chrono::Duration::milliseconds(2100));
    failed_code(&sync_one(&env).await);
    assert_eq!(server.count(), n + 1);
    assert_eq!(
        cache::feed_state(&env.pool, id)
            .await
            .unwrap()
            .breaker
            .state,
        CircuitState::Open
    );
    // Next probe succeeds → closed.
    clock.advance(chrono::Duration::milliseconds(2100));
    *mode.lock().unwrap() = Reply::ok(feed("new", 4));
    assert_eq!(
        sync_one(&env).await.kind,
        OutcomeKind::Updated { events: 4 }
    );
    let st = cache::feed_state(&env.pool, id).await.unwrap();
    assert_eq!(
        (st.breaker.state, st.breaker.consecutive_failures),
        (CircuitState::Closed, 0)
    );
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 4);
}

#[tokio::test]
async fn case36_etag_304_sends_validators_and_writes_nothing() {
    let server = Server::start(|req| {
        if req.header("If-None-Match") == Some("\"v1\"") {
            Reply::Full {
                status: 304,
                headers: vec![],
                body: vec![],
            }
        } else {
            Reply::ok(feed("good", 3))
                .with_header("ETag", "\"v1\"")
                .with_header("Last-Modified", "Sun, 01 Mar 2026 09:00:00 GMT")
        }
    })
    .await;
    let (env, clock) = Env::new(quick_config()).await.with_test_clock();
    let id = env.add(&server.url("/cal.ics")).await;
    assert_eq!(
        sync_one(&env).await.kind,
        OutcomeKind::Updated { events: 3 }
    );
    let first = cache::feed_state(&env.pool, id).await.unwrap();
    assert!(server.last().header("If-None-Match").is_none());
    let rowid_before: Vec<i64> = sqlx::query_scalar("SELECT rowid FROM events WHERE source_id = ?")
        .bind(id)
        .fetch_all(&env.pool)
        .await
        .unwrap();
    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(sync_one(&env).await.kind, OutcomeKind::NotModified);
    let req = server.last();
    assert_eq!(req.header("If-None-Match"), Some("\"v1\""));
    assert_eq!(
        req.header("If-Modified-Since"),
        Some("Sun, 01 Mar 2026 09:00:00 GMT")
    );
    let second = cache::feed_state(&env.pool, id).await.unwrap();
    assert!(second.last_checked > first.last_checked);
    assert_eq!(second.last_success, first.last_success);
    let rowid_after: Vec<i64> = sqlx::query_scalar("SELECT rowid FROM events WHERE source_id = ?")
        .bind(id)
        .fetch_all(&env.pool)
        .await
        .unwrap();
    assert_eq!(rowid_before, rowid_after, "events were rewritten on a 304");
}

#[tokio::test]
async fn user_agent_and_gzip_are_sent() {
    let env = Env::new(quick_config()).await;
    let server = Server::start(|_| Reply::ok(feed("g", 1))).await;
    env.add(&server.url("/cal.ics")).await;
    sync_one(&env).await;
    let req = server.last();
    assert_eq!(
        req.header("User-Agent"),
        Some(format!("CalendarBot/{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert!(req
        .header("Accept-Encoding")
        .unwrap_or_default()
        .contains("gzip"));
}

/// A client where `public.test` resolves to the local server, so the source URL looks
/// public and a redirect to 127.0.0.1 is a redirect to a private address.
async fn public_looking(local: &Server, allow_local: bool) -> Fetcher {
    let cfg = FetchConfig {
        resolve: vec![("public.test".into(), local.addr)],
        allow_local_network: allow_local,
        ..quick_config()
    };
    Fetcher::new(cfg).unwrap()
}

#[tokio::test]
async fn case37_redirect_from_public_to_private_is_refused_unless_opted_in() {
    let target = Server::start(|_| Reply::ok(feed("private", 1))).await;
    let loc = target.url("/internal.ics");
    let front = Server::start(move |_| Reply::redirect(&loc)).await;
    let url = format!("http://public.test:{}/cal.ics", front.addr.port());
    let t = Target::Http {
        url: url.parse().unwrap(),
        auth: Default::default(),
    };
    let cancel = CancellationToken::new();

    let f = public_looking(&front, false).await;
    let err = f
        .fetch(1, &t, &Validators::default(), &cancel)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Redirect(RedirectRefusal::LocalTarget));
    assert_eq!(
        err.to_string(),
        "refused a redirect to a local network address"
    );
    assert_eq!(target.count(), 0, "the private address was contacted");

    // The same through the pipeline: the cache keeps its data (none here) and health says why.
    let f = public_looking(&front, true).await;
    let got = f
        .fetch(1, &t, &Validators::default(), &cancel)
        .await
        .unwrap();
    assert!(matches!(got, Fetched::Body { .. }));
    assert_eq!(target.count(), 1);

    // The settings switch applies live.
    let f = public_looking(&front, false).await;
    let s = Settings {
        allow_local_network: true,
        ..Settings::default()
    };
    f.apply_settings(&s);
    assert!(f
        .fetch(1, &t, &Validators::default(), &cancel)
        .await
        .is_ok());
}

#[tokio::test]
async fn case37_local_source_may_redirect_locally_and_the_cache_survives_a_refusal() {
    let (server, mode) = server_with_mode(Reply::ok(feed("good", 3))).await;
    let env = Env::new(quick_config()).await;
    let id = env.add(&server.url("/cal.ics")).await;
    sync_one(&env).await;
    // A loopback source may be redirected on loopback (the user chose a local server).
    let other = Server::start(|_| Reply::ok(feed("moved", 2))).await;
    *mode.lock().unwrap() = Reply::redirect(&other.url("/moved.ics"));
    assert_eq!(
        sync_one(&env).await.kind,
        OutcomeKind::Updated { events: 2 }
    );
    // 169.254.169.254 is refused even from a local source? No: a local source is trusted;
    // the refusal of a public source is covered above. Here: a redirect loop.
    let url = server.url("/cal.ics");
    *mode.lock().unwrap() = Reply::redirect(&url);
    let (code, message) = failed_code(&sync_one(&env).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("redirect_refused", "too many redirects")
    );
    assert_eq!(
        cached_uids(&env.db_path(), id).await,
        vec!["moved-0", "moved-1"]
    );
}

#[tokio::test]
async fn case38_redirect_to_file_is_an_error_and_nothing_is_read() {
    let (_env, o) = fault_keeps_cache(Reply::redirect("file:///etc/passwd")).await;
    let (code, message) = failed_code(&o);
    assert_eq!(code, "redirect_refused");
    assert_eq!(message, "refused a redirect to a non-web address");
}

#[tokio::test]
async fn case39_https_to_http_downgrade_is_refused() {
    // The policy alone, also with the local-network opt-in; the live test against a TLS
    // server is in fetch_tls.rs.
    use calendarbot_core::fetch::policy::check_redirect;
    let src: url::Url = "https://calendar.example.com/a.ics".parse().unwrap();
    let to: url::Url = "http://calendar.example.com/a.ics".parse().unwrap();
    assert_eq!(
        check_redirect(&src, &src, &to, 1, true),
        Err(RedirectRefusal::Downgrade)
    );
    assert_eq!(
        check_redirect(&src, &src, &to, 1, false),
        Err(RedirectRefusal::Downgrade)
    );
}

#[tokio::test]
async fn case40_webcal_is_fetched_as_https() {
    let env = Env::new(quick_config()).await;
    let s = sources::add(
        &env.pool,
        &env.deps.secrets,
        NewSource {
            location: "webcal://calendar.example.com/private-abc/basic.ics".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.kind, SourceKind::Webcal);
    assert_eq!(s.display, "https://calendar.example.com");
    let rs = sources::resolve(&env.pool, &env.deps.secrets, s)
        .await
        .unwrap();
    match rs.target {
        Target::Http { url, .. } => assert_eq!(
            url.as_str(),
            "https://calendar.example.com/private-abc/basic.ics"
        ),
        other => panic!("{other:?}"),
    }
}
