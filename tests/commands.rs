//! Every Tauri command through the real IPC layer on the mock runtime, against a real
//! backend on a temporary SQLite file and the demo calendar.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

use calendarbot_core::backend::Backend;
use calendarbot_core::clock::TestClock;
use calendarbot_core::paths::Paths;
use calendarbot_lib::commands;
use calendarbot_lib::state::AppState;

struct Harness {
    _app: tauri::App<tauri::test::MockRuntime>,
    webview: WebviewWindow<tauri::test::MockRuntime>,
    _dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    // A Wednesday morning: the demo calendar has meetings that day.
    let clock = TestClock::new(Utc.with_ymd_and_hms(2026, 5, 6, 6, 0, 0).unwrap());
    let backend =
        tauri::async_runtime::block_on(Backend::open(Paths::under(dir.path()), Arc::new(clock)))
            .unwrap();
    let app = commands::register(mock_builder())
        .build(tauri::generate_context!())
        .unwrap();
    app.manage(AppState::new(backend, None, None));
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Harness {
        _app: app,
        webview,
        _dir: dir,
    }
}

fn invoke(h: &Harness, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        &h.webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

#[test]
fn overview_lists_the_demo_calendar() {
    let h = harness();
    let o = invoke(&h, "get_overview", json!({})).unwrap();
    assert_eq!(o["demo"], true);
    let next = &o["next"];
    assert!(next["summary"].as_str().is_some(), "{o}");
    assert!(next["key"].as_str().unwrap().contains("@demo.calendarbot"));
    assert!(o["headline"]
        .as_str()
        .unwrap()
        .contains(next["summary"].as_str().unwrap()));
    assert!(o["upcoming"].as_array().unwrap().len() >= 5);
}

#[test]
fn agenda_range_is_validated_and_expanded() {
    let h = harness();
    let week = invoke(&h, "get_agenda", json!({ "from": "2026-05-04", "days": 7 })).unwrap();
    let standups = week
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["summary"] == "Daily standup")
        .count();
    assert_eq!(standups, 5, "one standup per working day");
    let err = invoke(&h, "get_agenda", json!({ "from": "next week", "days": 7 })).unwrap_err();
    assert_eq!(err["code"], "invalid_value");
    let err = invoke(
        &h,
        "get_agenda",
        json!({ "from": "2026-05-04", "days": 400 }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_value");
}

#[test]
fn join_refuses_unknown_keys_and_meetings_without_links() {
    let h = harness();
    let err = invoke(
        &h,
        "join_occurrence",
        json!({ "key": "0|nope|20260506T000000Z" }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "not_found");
    let o = invoke(&h, "get_overview", json!({})).unwrap();
    let lunch = o["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["summary"] == "Lunch")
        .unwrap()
        .clone();
    let err = invoke(&h, "join_occurrence", json!({ "key": lunch["key"] })).unwrap_err();
    assert_eq!(err["code"], "no_link");
}

#[test]
fn join_opens_the_backends_link_through_the_opener() {
    let h = harness();
    let log = h._dir.path().join("opened.txt");
    std::env::set_var("CALENDARBOT_OPEN_LOG", &log);
    let o = invoke(&h, "get_overview", json!({})).unwrap();
    let standup = o["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["summary"] == "Daily standup")
        .unwrap()
        .clone();
    invoke(&h, "join_occurrence", json!({ "key": standup["key"] })).unwrap();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        standup["join_url"].as_str().unwrap()
    );
}

#[test]
fn settings_round_trip_with_structured_errors() {
    let h = harness();
    let all = invoke(&h, "get_settings", json!({})).unwrap();
    let lead = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "notify.lead_minutes")
        .unwrap();
    assert_eq!(lead["value"], "5");
    assert_eq!(lead["kind"], "int");
    assert_eq!(
        invoke(
            &h,
            "set_setting",
            json!({ "key": "notify.lead_minutes", "value": "10" })
        )
        .unwrap(),
        "10"
    );
    let err = invoke(
        &h,
        "set_setting",
        json!({ "key": "notify.lead_minutes", "value": "soon" }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_value");
    let err = invoke(&h, "set_setting", json!({ "key": "no.such", "value": "1" })).unwrap_err();
    assert_eq!(err["code"], "unknown_setting");
}

#[test]
fn diagnostics_show_tasks_memory_and_paths() {
    let h = harness();
    let d = invoke(&h, "get_diagnostics", json!({})).unwrap();
    assert!(d["tasks"]["memory"]["rss_bytes"].as_u64().unwrap() > 0);
    assert!(d["log_dir"].as_str().unwrap().ends_with("logs"));
}

#[test]
fn sources_can_be_tested_added_renamed_and_removed() {
    let h = harness();
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src-tauri/core/assets/demo.ics"
    );
    let input =
        json!({ "location": demo, "name": "Team", "color": "#16a34a", "auth": { "kind": "none" } });
    let tested = invoke(&h, "test_source", json!({ "input": input })).unwrap();
    assert_eq!(tested["ok"], true, "{tested}");
    assert_eq!(tested["provider"], "local file");
    assert_eq!(tested["events"], 6);
    let added = invoke(&h, "add_source", json!({ "input": input })).unwrap();
    assert_eq!(added["name"], "Team");
    assert_eq!(added["kind"], "file");
    let id = added["id"].clone();
    let list = invoke(&h, "list_sources", json!({})).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0]["health"]["status"].is_string(), "{list}");
    let renamed = invoke(
        &h,
        "update_source",
        json!({ "id": id, "patch": { "name": "Team B", "enabled": false } }),
    )
    .unwrap();
    assert_eq!(
        (renamed["name"].as_str(), renamed["enabled"].as_bool()),
        (Some("Team B"), Some(false))
    );
    let err = invoke(
        &h,
        "update_source",
        json!({ "id": id, "patch": { "name": "  " } }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_value");
    // Per-calendar reminders: a lead time of its own, muted, and back to the default
    // (`null`), while a patch that does not mention the lead time leaves it alone.
    let patch = |p: Value| invoke(&h, "update_source", json!({ "id": id, "patch": p }));
    let reminders = |v: &Value| (v["lead_minutes"].as_i64(), v["muted"].as_bool());
    let own = patch(json!({ "lead_minutes": 15 })).unwrap();
    assert_eq!(reminders(&own), (Some(15), Some(false)));
    let muted = patch(json!({ "muted": true })).unwrap();
    assert_eq!(reminders(&muted), (Some(15), Some(true)));
    let reset = patch(json!({ "lead_minutes": null })).unwrap();
    assert_eq!(reminders(&reset), (None, Some(true)));
    let err = patch(json!({ "lead_minutes": 5000 })).unwrap_err();
    assert_eq!(err["code"], "invalid_value", "{err}");
    invoke(&h, "remove_source", json!({ "id": id })).unwrap();
    assert_eq!(invoke(&h, "list_sources", json!({})).unwrap(), json!([]));
    let err = invoke(
        &h,
        "add_source",
        json!({ "input": { "location": "ftp://x/y.ics" } }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_location");
    let err = invoke(&h, "remove_source", json!({ "id": 999 })).unwrap_err();
    assert_eq!(err["code"], "not_found");
}

#[test]
fn test_connection_reports_a_web_page_in_words() {
    let h = harness();
    let page = h._dir.path().join("login.ics");
    std::fs::write(&page, "<!DOCTYPE html><html><body>Sign in</body></html>").unwrap();
    let tested = invoke(&h, "test_source", json!({ "input": { "location": page } })).unwrap();
    assert_eq!(tested["ok"], false);
    assert!(
        tested["message"].as_str().unwrap().contains("web page"),
        "{tested}"
    );
}

#[test]
fn refresh_and_pause_answer_without_a_notification_server() {
    let h = harness();
    assert_eq!(invoke(&h, "refresh_now", json!({})).unwrap(), Value::Null);
    let err = invoke(&h, "pause_notifications", json!({ "mode": "1h" })).unwrap_err();
    assert_eq!(err["code"], "notifications_unavailable");
    assert!(invoke(&h, "pause_notifications", json!({ "mode": "forever" })).is_err());
}

/// The mock runtime runs no event loop, so the close itself is checked end to end
/// (tests/e2e: Ctrl+W frees the webview); here, that the capability lets it through.
#[test]
fn close_window_is_allowed_to_the_main_window() {
    let h = harness();
    assert_eq!(invoke(&h, "close_window", json!({})).unwrap(), Value::Null);
}

#[test]
fn only_the_main_window_may_call_commands() {
    let h = harness();
    let other = WebviewWindowBuilder::new(h.webview.app_handle(), "other", Default::default())
        .build()
        .unwrap();
    let h2 = Harness {
        _app: h._app,
        webview: other,
        _dir: h._dir,
    };
    let err = invoke(&h2, "get_overview", json!({})).unwrap_err();
    assert!(
        err.as_str().unwrap_or_default().contains("not allowed"),
        "{err}"
    );
}
