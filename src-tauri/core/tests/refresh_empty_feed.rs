//! Issue 15's empty-feed rule, against a real 127.0.0.1 server and the real parser: a
//! body that parses to no events while the cache holds events does not replace the
//! last good data on the first try. The source turns "warning" with words, and only the
//! same answer on three fetches in a row replaces the data.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::sync::{Arc, Mutex};

use calendarbot_core::cache;
use calendarbot_core::refresh::{self, OutcomeKind};
use calendarbot_core::settings::Settings;
use chrono::Utc;
use fetch_common::*;

const EMPTY_CALENDAR: &str =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n";

const NO_DTSTART: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:x-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:No start\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:x-2\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Nor this\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

/// A complete first VCALENDAR (zones only, as some exports start), then the one with
/// the events cut off before its first event ends.
fn cut_after_first_calendar() -> String {
    let second = feed("late", 3);
    let cut = second.find("END:VEVENT").unwrap();
    format!("{EMPTY_CALENDAR}{}", &second[..cut])
}

/// A server whose body the test sets, and an env with the real parser.
async fn setup() -> (Server, Arc<Mutex<String>>, Env, i64) {
    let body = Arc::new(Mutex::new(feed("good", 2)));
    let b = body.clone();
    let server = Server::start(move |_| Reply::ok(b.lock().unwrap().clone().into_bytes())).await;
    let env = Env::with_parser(quick_config(), refresh::default_parser()).await;
    let id = env.add(&server.url("/cal.ics")).await;
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out[0].kind, OutcomeKind::Updated { events: 2 }, "{out:?}");
    (server, body, env, id)
}

async fn health_of(env: &Env) -> cache::SourceHealth {
    cache::health(&env.pool, Utc::now(), &Settings::default())
        .await
        .unwrap()
        .remove(0)
}

async fn empty_answers_replace_only_on_the_third(bad: &str) {
    let (server, body, env, id) = setup().await;
    *body.lock().unwrap() = bad.to_string();
    for n in 1..=2 {
        let out = refresh::sync(env.deps.clone()).await.unwrap();
        match &out[0].kind {
            OutcomeKind::Failed { code, message } => {
                assert_eq!(code, cache::EMPTY_FEED);
                assert!(message.contains("the feed returned no events"), "{message}");
            }
            other => panic!("answer {n}: {other:?}"),
        }
        assert_eq!(
            cached_uids(&env.db_path(), id).await,
            vec!["good-0", "good-1"],
            "answer {n} replaced the last good data"
        );
        let h = health_of(&env).await;
        assert_eq!(h.status, "warning", "answer {n}: {h:?}");
        assert!(
            h.last_error
                .as_deref()
                .is_some_and(|e| e.contains("the feed returned no events")),
            "{h:?}"
        );
        assert_eq!(h.event_count, 2);
    }
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out[0].kind, OutcomeKind::Updated { events: 0 });
    assert!(cached_uids(&env.db_path(), id).await.is_empty());
    let h = health_of(&env).await;
    assert_eq!(
        (h.status, h.last_error),
        (calendarbot_core::cache::SourceStatus::Ok, None)
    );
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn an_empty_vcalendar_is_taken_only_on_the_third_answer() {
    empty_answers_replace_only_on_the_third(EMPTY_CALENDAR).await;
}

#[tokio::test]
async fn vevents_all_without_dtstart_are_taken_only_on_the_third_answer() {
    empty_answers_replace_only_on_the_third(NO_DTSTART).await;
}

#[tokio::test]
async fn a_body_cut_after_a_complete_first_vcalendar_keeps_the_last_good_data() {
    empty_answers_replace_only_on_the_third(&cut_after_first_calendar()).await;
}

/// "In a row": an answer with events in between starts the count again.
#[tokio::test]
async fn a_good_answer_in_between_starts_the_count_again() {
    let (_server, body, env, id) = setup().await;
    for round in 0..3 {
        *body.lock().unwrap() = EMPTY_CALENDAR.to_string();
        for _ in 0..2 {
            let out = refresh::sync(env.deps.clone()).await.unwrap();
            assert!(out[0].is_failure(), "round {round}: {out:?}");
        }
        *body.lock().unwrap() = feed("good", 2);
        let out = refresh::sync(env.deps.clone()).await.unwrap();
        assert_eq!(out[0].kind, OutcomeKind::Updated { events: 2 });
    }
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 2);
}

/// A source that never had events takes an empty calendar at once (nothing to keep).
#[tokio::test]
async fn an_empty_calendar_for_an_empty_cache_is_stored_at_once() {
    let server = Server::start(|_| Reply::ok(EMPTY_CALENDAR)).await;
    let env = Env::with_parser(quick_config(), refresh::default_parser()).await;
    env.add(&server.url("/cal.ics")).await;
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out[0].kind, OutcomeKind::Updated { events: 0 });
    assert_eq!(health_of(&env).await.status, "ok");
}
