//! End to end with the real engine (`ics::parse_feed`, `ics::expand`): a served feed is
//! fetched, parsed off the async workers, cached, loaded back and expanded.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use calendarbot_core::cache;
use calendarbot_core::ics::{self, ExpandOptions};
use calendarbot_core::model::Window;
use calendarbot_core::refresh::{self, default_parser, OutcomeKind};
use chrono::{TimeZone, Utc};
use fetch_common::*;

#[tokio::test]
async fn served_feed_is_parsed_cached_and_expanded() {
    let server = Server::start(|_| Reply::ok(feed("real", 5))).await;
    let env = Env::with_parser(quick_config(), default_parser()).await;
    let id = env.add(&server.url("/cal.ics")).await;
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(out[0].kind, OutcomeKind::Updated { events: 5 }, "{out:?}");
    let cals = cache::load_calendars(&env.pool).await.unwrap();
    assert_eq!(cals.len(), 1);
    assert_eq!(cals[0].calendar.meta.name.as_deref(), Some("Test"));
    let direct = ics::parse_feed(feed("real", 5).as_bytes()).unwrap();
    assert_eq!(
        cals[0].calendar, direct,
        "the cache must round-trip the engine's records"
    );
    let opts = ExpandOptions {
        window: Window {
            from: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
        },
        tz: chrono_tz::UTC,
        source: cals[0].source.name.clone(),
        source_id: Some(id),
        me_emails: vec![],
        canceled_prefix: true,
    };
    let occ = ics::expand(&cals[0].calendar, &opts);
    assert_eq!(occ.len(), 5);
    assert_eq!(occ[0].uid, "real-0");
}
