//! Hide rules on the app's own SQLite file across refreshes that rewrite the cache: a
//! feed served by a real HTTP server on 127.0.0.1 is fetched, an occurrence of a series
//! and a one-off event are hidden, then the same feed is fetched again and then a
//! changed one (the hidden occurrence moved by an override, the one-off moved): the
//! rules hold in the backend's agenda (what the tray, the window and the reminders
//! read) and in `next`. Unhiding brings them back; removing the calendar removes its
//! rules. Also: `notify.ignore_titles` silences a meeting in the planner, not in the
//! agenda.
#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};

use calendarbot_core::api::{self, hide::HideInput, settings::Caller};
use calendarbot_core::backend::{self, AgendaInputs, Backend};
use calendarbot_core::clock::TestClock;
use calendarbot_core::model::{Occurrence, Window};
use calendarbot_core::paths::Paths;
use calendarbot_core::refresh::{self, OutcomeKind};
use calendarbot_core::reminders::plan::{plan, ReminderConfig};
use calendarbot_core::settings::Settings;
use calendarbot_core::sources::NewSource;
use fetch_common::{Reply, Server};

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
}

const STANDUP: &str = "BEGIN:VEVENT\r\nUID:standup@hide\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART:20260302T090000Z\r\nDTEND:20260302T091500Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
SUMMARY:Standup\r\nEND:VEVENT\r\n";

fn feed(lunch_hour: u32, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hide//EN\r\n{STANDUP}\
         BEGIN:VEVENT\r\nUID:lunch@hide\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART:20260303T{lunch_hour:02}0000Z\r\nDTEND:20260303T{lunch_hour:02}3000Z\r\n\
         SUMMARY:Lunch\r\nEND:VEVENT\r\n{extra}END:VCALENDAR\r\n"
    )
}

/// The changed feed: the hidden 3 March standup moved to 15:00 by an override, lunch
/// moved to 13:00, and a new event.
fn changed_feed() -> String {
    feed(
        13,
        "BEGIN:VEVENT\r\nUID:standup@hide\r\nDTSTAMP:20260101T000000Z\r\n\
         RECURRENCE-ID:20260303T090000Z\r\nDTSTART:20260303T150000Z\r\nDTEND:20260303T151500Z\r\n\
         SUMMARY:Standup (moved)\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:retro@hide\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART:20260304T100000Z\r\nDTEND:20260304T110000Z\r\nSUMMARY:Retro\r\nEND:VEVENT\r\n",
    )
}

/// (summary, start) of the week from 2 March, as the window's agenda reads it.
async fn week(backend: &Backend) -> Vec<(String, DateTime<Utc>)> {
    let window = Window {
        from: at(2, 0),
        to: at(9, 0),
    };
    let list = backend
        .occurrences_between(window, chrono_tz::UTC)
        .await
        .unwrap();
    list.iter().map(|o| (o.summary.clone(), o.start)).collect()
}

async fn sync(backend: &Backend, clock: &Arc<TestClock>) -> Vec<OutcomeKind> {
    let deps = backend::pipeline_deps(backend.paths(), backend.pool().clone(), clock.clone())
        .await
        .unwrap();
    let out = refresh::sync(deps).await.unwrap();
    // What the agenda loop does after a cache write.
    backend.recompute_agenda().await.unwrap();
    out.into_iter().map(|o| o.kind).collect()
}

fn in_live_agenda(backend: &Backend, summary: &str, start: DateTime<Utc>) -> bool {
    backend
        .agenda()
        .occurrences
        .iter()
        .any(|o| o.summary == summary && o.start == start)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hide_rules_hold_across_refreshes_of_the_same_and_a_changed_feed() {
    let body = Arc::new(Mutex::new(feed(12, "")));
    let served = body.clone();
    let server = Server::start(move |_| Reply::ok(served.lock().unwrap().clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock::new(at(2, 6)));
    let backend = Backend::open(Paths::under(dir.path()), clock.clone())
        .await
        .unwrap();
    let ctx = backend.ctx();
    let new = NewSource {
        location: server.url("/cal.ics"),
        name: Some("Work".into()),
        ..Default::default()
    };
    let source = api::sources::add(ctx, new, false).await.unwrap();
    assert_eq!(
        sync(&backend, &clock).await,
        [OutcomeKind::Updated { events: 2 }]
    );
    let before = week(&backend).await;
    assert!(before.contains(&("Standup".into(), at(3, 9))), "{before:?}");
    assert!(before.contains(&("Lunch".into(), at(3, 12))), "{before:?}");

    // A UID the calendar does not have is refused in words; nothing is stored.
    let typo = HideInput {
        source_id: source.id,
        uid: "standup@typo".into(),
        recurrence_id: None,
        title: None,
    };
    let e = api::hide::hide(ctx, typo).await.unwrap_err();
    assert_eq!(e.code, api::Code::NotFound);
    assert!(
        e.message.contains("no event with UID 'standup@typo'"),
        "{e}"
    );

    // Hide the 3 March standup (by its RECURRENCE-ID) and the one-off lunch (its UID).
    let one = api::hide::hide(
        ctx,
        HideInput {
            source_id: source.id,
            uid: "standup@hide".into(),
            recurrence_id: Some(at(3, 9)),
            title: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (one.title.as_str(), one.source.as_str()),
        ("Standup", "Work")
    );
    let lunch = api::hide::hide(
        ctx,
        HideInput {
            source_id: source.id,
            uid: "lunch@hide".into(),
            recurrence_id: None,
            title: Some("Lunch\u{7}".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(lunch.title, "Lunch");
    backend.recompute_agenda().await.unwrap();
    let hidden = |list: &[(String, DateTime<Utc>)]| {
        let mut want = before.clone();
        want.retain(|o| *o != ("Standup".into(), at(3, 9)) && o.0 != "Lunch");
        assert_eq!(list, want.as_slice());
    };
    hidden(&week(&backend).await);
    assert!(!in_live_agenda(&backend, "Standup", at(3, 9)));
    assert!(
        in_live_agenda(&backend, "Standup", at(4, 9)),
        "only that occurrence"
    );

    // The same feed fetched again: the cache is rewritten (no validators), the rules hold.
    assert_eq!(
        sync(&backend, &clock).await,
        [OutcomeKind::Updated { events: 2 }]
    );
    hidden(&week(&backend).await);
    assert!(!in_live_agenda(&backend, "Standup", at(3, 9)));

    // A changed feed: the hidden occurrence moved to 15:00 by an override and the lunch
    // moved to 13:00 stay hidden; the new event and the other standups are shown.
    *body.lock().unwrap() = changed_feed();
    assert_eq!(
        sync(&backend, &clock).await,
        [OutcomeKind::Updated { events: 4 }]
    );
    let after = week(&backend).await;
    let summaries: Vec<&str> = after.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(
        summaries,
        ["Standup", "Standup", "Retro", "Standup", "Standup"],
        "{after:?}"
    );
    assert!(
        !after.iter().any(|o| o.1 == at(3, 15) || o.0 == "Lunch"),
        "{after:?}"
    );
    assert!(!in_live_agenda(&backend, "Standup (moved)", at(3, 15)));
    assert!(in_live_agenda(&backend, "Retro", at(4, 10)));

    // `calendarbot next` reads the same filter: at 12:30 on the 3rd the next meeting is
    // the 4 March standup, not the hidden moved one at 15:00 that day.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 12, 30, 0).unwrap());
    let next = api::agenda::next(ctx).await.unwrap().next.unwrap();
    assert_eq!((next.summary.as_str(), next.start), ("Standup", at(4, 9)));

    // Unhide: the moved occurrence comes back; a second unhide is said in words.
    api::hide::unhide(ctx, one.id).await.unwrap();
    backend.recompute_agenda().await.unwrap();
    assert!(week(&backend)
        .await
        .contains(&("Standup (moved)".into(), at(3, 15))));
    let again = api::hide::unhide(ctx, one.id).await.unwrap_err();
    assert_eq!(again.code, api::Code::NotFound);
    assert_eq!(
        api::hide::list(ctx).await.unwrap().len(),
        1,
        "the lunch rule stays"
    );

    // Removing the calendar removes its rules.
    api::sources::remove_id(ctx, source.id).await.unwrap();
    assert!(api::hide::list(ctx).await.unwrap().is_empty());
    backend.shutdown(std::time::Duration::from_secs(5)).await;
}

fn meeting(uid: &str, summary: &str, start: DateTime<Utc>) -> Occurrence {
    Occurrence {
        source_id: Some(1),
        ..Occurrence::timed(
            "Work",
            uid,
            summary,
            start,
            start + chrono::Duration::minutes(30),
        )
    }
}

#[tokio::test]
async fn a_title_pattern_silences_the_meeting_in_the_planner_and_keeps_it_in_the_agenda() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock::new(at(2, 6)));
    let backend = Backend::open(Paths::under(dir.path()), clock.clone())
        .await
        .unwrap();
    let stored = api::settings::set(
        backend.ctx(),
        Caller::Window,
        "notify.ignore_titles",
        "lunch*, *FOCUS*",
    )
    .await
    .unwrap();
    assert_eq!(stored, "lunch*, *FOCUS*");
    let refused = api::settings::set(
        backend.ctx(),
        Caller::Window,
        "notify.ignore_titles",
        "Lunch, *",
    )
    .await
    .unwrap_err();
    assert!(
        refused.message.contains("would silence every meeting"),
        "{refused}"
    );

    let settings = Settings::load(backend.pool()).await.unwrap();
    let cfg = ReminderConfig::new(&settings, chrono_tz::UTC);
    let start = at(2, 10);
    let list = [
        meeting("a", "Lunch with Bob", start),
        meeting("b", "Deep focus time", start),
        meeting("c", "Planning", start),
    ];
    let due = start - chrono::Duration::minutes(5);
    let p = plan(
        &list,
        &cfg,
        None,
        &HashMap::new(),
        due - chrono::Duration::seconds(1),
        due,
    );
    let fired: Vec<&str> = p
        .fire
        .iter()
        .map(|f| f.reminder.occurrence.summary.as_str())
        .collect();
    assert_eq!(fired, ["Planning"]);
    // Without the setting all three fire (the skip is the pattern's doing).
    let plain = ReminderConfig::new(&Settings::default(), chrono_tz::UTC);
    let p = plan(
        &list,
        &plain,
        None,
        &HashMap::new(),
        due - chrono::Duration::seconds(1),
        due,
    );
    assert_eq!(p.fire.len(), 3);

    // The agenda still holds a matching meeting (the demo calendar has a "Lunch").
    let inputs = AgendaInputs::load(backend.pool()).await.unwrap();
    assert!(inputs.demo);
    let window = Window {
        from: at(2, 0),
        to: at(9, 0),
    };
    let shown = inputs.shown(window, chrono_tz::UTC);
    assert!(shown.iter().any(|o| o.summary == "Lunch"), "{shown:?}");
    backend.shutdown(std::time::Duration::from_secs(5)).await;
}
