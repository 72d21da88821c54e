//! Case 55, SECRET-LOGS: a source whose URL carries a token in its path and query (and
//! a password), 10 failing refreshes of different kinds; every log line (at TRACE),
//! every outcome, every health record and the feeds table: 0 hits for the secrets.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use calendarbot_core::cache;
use calendarbot_core::refresh;
use calendarbot_core::settings::{self, Settings};
use calendarbot_core::sources::{self, Auth, NewSource};
use chrono::Utc;
use fetch_common::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const PATH_SECRET: &str = "private-7f3a9c1e0b2d";
const QUERY_SECRET: &str = "QUERYSECRET456";
const PASSWORD: &str = "hunter2-PASSWORD";

#[tokio::test]
async fn case55_no_secret_in_logs_errors_or_health() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let n = Arc::new(AtomicUsize::new(0));
    let k = n.clone();
    let server = Server::start(move |_| match k.fetch_add(1, Ordering::SeqCst) % 5 {
        0 => Reply::status(500),
        1 => Reply::ok(b"<!DOCTYPE html><html>Sign in</html>".to_vec()),
        2 => Reply::status(404),
        3 => Reply::redirect("file:///etc/passwd"),
        _ => Reply::ok(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n".to_vec()),
    })
    .await;
    let env = Env::new(quick_config()).await;
    // Keep the circuit closed so all 10 refreshes reach the server.
    settings::set(&env.pool, "breaker.failures", "100")
        .await
        .unwrap();
    let url = server.url(&format!(
        "/calendar/ical/{PATH_SECRET}/basic.ics?token={QUERY_SECRET}"
    ));
    let s = sources::add(
        &env.pool,
        &env.deps.secrets,
        NewSource {
            location: url,
            auth: Auth::Basic {
                user: "me".into(),
                password: PASSWORD.into(),
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let mut texts = Vec::new();
    for _ in 0..10 {
        let out = refresh::sync(env.deps.clone()).await.unwrap();
        assert!(out[0].is_failure());
        texts.push(format!("{out:?}"));
        texts.push(serde_json::to_string(&out).unwrap());
    }
    assert_eq!(server.count(), 10);
    let health = cache::health(&env.pool, Utc::now(), &Settings::default())
        .await
        .unwrap();
    texts.push(serde_json::to_string(&health).unwrap());
    texts.push(format!("{health:?}"));
    texts.push(format!("{:?}", sources::list(&env.pool).await.unwrap()));
    let rs = sources::resolve(&env.pool, &env.deps.secrets, s)
        .await
        .unwrap();
    texts.push(format!("{rs:?}"));
    let rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT last_error, error_kind FROM feeds")
            .fetch_all(&env.pool)
            .await
            .unwrap();
    texts.push(format!("{rows:?}"));
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("source_id"), "nothing was logged: {logs}");
    texts.push(logs);

    let all = texts.join("\n");
    for secret in [PATH_SECRET, QUERY_SECRET, PASSWORD, "/calendar/ical"] {
        assert_eq!(all.matches(secret).count(), 0, "{secret} leaked:\n{all}");
    }
    // The host is fine to show.
    assert!(all.contains("127.0.0.1"));
}
