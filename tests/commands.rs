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
    // Local calendars from the window must be under "home": the test's directory.
    app.manage(AppState::new(backend, None, None).with_local_root(dir.path()));
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Harness {
        _app: app,
        webview,
        _dir: dir,
    }
}

impl Harness {
    fn backend(&self) -> Arc<Backend> {
        self.webview.state::<AppState>().backend.clone()
    }

    /// A copy of the demo calendar under the harness's home folder.
    fn demo_copy(&self) -> String {
        let path = self._dir.path().join("demo.ics");
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src-tauri/core/assets/demo.ics"
            ),
            &path,
        )
        .unwrap();
        path.to_str().unwrap().to_string()
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

/// Starts the backend, adds the file at `feed` through the window's command and waits
/// (on the health channel, at most 30 s) until the source's first fetch is in the cache.
fn add_and_wait_until_fetched(h: &Harness, feed: &std::path::Path) {
    let backend = h.backend();
    let mut health = backend.subscribe_health();
    backend.start();
    invoke(h, "add_source", json!({ "input": { "location": feed } })).unwrap();
    tauri::async_runtime::block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(30), async {
            loop {
                health.changed().await.unwrap();
                let list = invoke(h, "list_sources", json!({})).unwrap();
                if list[0]["health"]["status"] == "ok" {
                    return;
                }
            }
        })
        .await
        .unwrap();
    });
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
    // The opener logs the link instead of opening it when CALENDARBOT_OPEN_LOG is set: in
    // a child run of this test, so this process's environment (every test's) is unchanged.
    let Some(log) = std::env::var_os("CALENDARBOT_OPEN_LOG") else {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("opened.txt");
        let name = "join_opens_the_backends_link_through_the_opener";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads", "1"])
            .env("CALENDARBOT_OPEN_LOG", &log)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    };
    let h = harness();
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
    assert_eq!(lead["read_only"], false);
    let kind_of = |key: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| s["kind"].clone())
    };
    assert_eq!(kind_of("me.emails"), Some(json!("emails")));
    assert_eq!(kind_of("notify.snooze_minutes"), Some(json!("minutes")));
    assert_eq!(kind_of("events.declined"), Some(json!("choice")));
    assert_eq!(kind_of("notify.enabled"), Some(json!("bool")));
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
fn diagnostics_show_what_status_shows() {
    let h = harness();
    let empty = invoke(&h, "get_diagnostics", json!({})).unwrap();
    assert_eq!(empty["sources"], json!([]));
    assert_eq!(empty["recent_errors"], json!([]));
    assert_eq!(empty["loops"], json!([]));
    let input = json!({ "location": h.demo_copy(), "name": "Team" });
    invoke(&h, "add_source", json!({ "input": input })).unwrap();
    let d = invoke(&h, "get_diagnostics", json!({})).unwrap();
    assert!(d["tasks"]["memory"]["rss_bytes"].as_u64().unwrap() > 0);
    assert!(d["tasks"]["active"].is_array() && d["tasks"]["finished"].is_array());
    assert!(d["log_dir"].as_str().unwrap().ends_with("logs"));
    let source = &d["sources"][0];
    assert_eq!(source["name"], "Team", "{d}");
    assert_eq!(source["health"]["status"], "pending", "{d}");
    assert_eq!(source["health"]["circuit"], "closed", "{d}");
    // A failing background loop is a recent error too.
    h.backend().loop_failed("agenda", &"database is locked");
    let d = invoke(&h, "get_diagnostics", json!({})).unwrap();
    assert_eq!(d["loops"][0]["name"], "agenda");
    assert_eq!(d["loops"][0]["failures"], 1);
    assert_eq!(
        d["recent_errors"][0]["message"], "database is locked",
        "{d}"
    );
}

/// The words the UI compares against, exactly as serialised.
#[test]
fn status_words_and_circuit_states_have_one_spelling() {
    use calendarbot_core::cache::SourceStatus;
    use calendarbot_core::fetch::breaker::CircuitState;
    let words = |v: Vec<Value>| {
        v.into_iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        words(
            [
                SourceStatus::Ok,
                SourceStatus::Warning,
                SourceStatus::Error,
                SourceStatus::Pending,
                SourceStatus::Disabled
            ]
            .iter()
            .map(|s| serde_json::to_value(s).unwrap())
            .collect()
        ),
        ["ok", "warning", "error", "pending", "disabled"]
    );
    assert_eq!(
        words(
            [
                CircuitState::Closed,
                CircuitState::Open,
                CircuitState::HalfOpen
            ]
            .iter()
            .map(|s| serde_json::to_value(s).unwrap())
            .collect()
        ),
        ["closed", "open", "half_open"]
    );
    let h = harness();
    let added = invoke(
        &h,
        "add_source",
        json!({ "input": { "location": h.demo_copy() } }),
    )
    .unwrap();
    let health = |h: &Harness| invoke(h, "list_sources", json!({})).unwrap()[0]["health"].clone();
    assert_eq!(health(&h)["status"], "pending");
    assert_eq!(health(&h)["circuit"], "closed");
    invoke(
        &h,
        "update_source",
        json!({ "id": added["id"], "patch": { "enabled": false } }),
    )
    .unwrap();
    assert_eq!(health(&h)["status"], "disabled");
    assert_eq!(added["kind"], "file");
    assert_eq!(added["auth"], "none");
}

#[test]
fn sources_can_be_tested_added_renamed_and_removed() {
    let h = harness();
    let demo = h.demo_copy();
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

/// Every path the window may not use gets the same answer, from Test and Add alike:
/// the page cannot learn whether a file exists, nor make the app read a device or
/// block on a FIFO.
#[test]
fn the_window_reads_only_calendar_files_under_home() {
    use calendarbot_core::window_policy::FILE_REFUSED;
    let h = harness();
    let home = h._dir.path();
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = outside.path().join("team.ics");
    std::fs::copy(h.demo_copy(), &elsewhere).unwrap();
    let fifo = home.join("pipe.ics");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let link = home.join("zero.ics");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    std::fs::write(home.join("notes.txt"), "BEGIN:VCALENDAR").unwrap();
    std::fs::create_dir(home.join("folder.ics")).unwrap();
    let refused = [
        elsewhere,
        fifo,
        link,
        home.join("notes.txt"),
        home.join("folder.ics"),
        home.join("missing.ics"),
        "/dev/zero".into(),
        "/etc/passwd".into(),
    ];
    for path in &refused {
        let input = json!({ "location": path });
        let tested = invoke(&h, "test_source", json!({ "input": input })).unwrap();
        assert_eq!(
            (tested["ok"].as_bool(), tested["message"].as_str()),
            (Some(false), Some(FILE_REFUSED)),
            "{path:?}"
        );
        let err = invoke(&h, "add_source", json!({ "input": input })).unwrap_err();
        assert_eq!(
            (err["code"].as_str(), err["message"].as_str()),
            (Some("invalid_location"), Some(FILE_REFUSED)),
            "{path:?}"
        );
    }
    assert_eq!(invoke(&h, "list_sources", json!({})).unwrap(), json!([]));
    // The file under home passes and is stored by its real path.
    let added = invoke(
        &h,
        "add_source",
        json!({ "input": { "location": h.demo_copy() } }),
    )
    .unwrap();
    let real = std::fs::canonicalize(home.join("demo.ics")).unwrap();
    assert_eq!(added["location"], real.to_str().unwrap());
}

/// Add and Test connection run one probe: a location that does not answer with a
/// calendar is refused (nothing stored) with a code the page offers "Add anyway" for,
/// and added when the user says so; a calendar gets its own name (X-WR-CALNAME).
#[test]
fn the_window_adds_only_what_answers_with_a_calendar_unless_told_to() {
    let h = harness();
    let pool = h.backend().pool().clone();
    tauri::async_runtime::block_on(calendarbot_core::settings::set(
        &pool,
        "fetch.allow_local_network",
        "true",
    ))
    .unwrap();
    let good = serve_demo_calendar();
    let gone = serve_status("404 Not Found");
    let tested = invoke(&h, "test_source", json!({ "input": { "location": gone } })).unwrap();
    assert_eq!(
        (tested["ok"].as_bool(), tested["add_anyway"].as_bool()),
        (Some(false), Some(true)),
        "{tested}"
    );
    assert!(
        tested["message"].as_str().unwrap().contains("404"),
        "{tested}"
    );
    let err = invoke(&h, "add_source", json!({ "input": { "location": gone } })).unwrap_err();
    assert_eq!(err["code"], "not_a_calendar", "{err}");
    assert!(err["message"].as_str().unwrap().contains("404"), "{err}");
    assert_eq!(invoke(&h, "list_sources", json!({})).unwrap(), json!([]));
    let added = invoke(
        &h,
        "add_source",
        json!({ "input": { "location": gone, "add_anyway": true } }),
    )
    .unwrap();
    assert_eq!(added["name"], "127.0.0.1", "{added}");

    // A good feed: Test says its name, Add uses it; a second one gets a number.
    let tested = invoke(&h, "test_source", json!({ "input": { "location": good } })).unwrap();
    assert_eq!(
        (tested["ok"].as_bool(), tested["name"].as_str()),
        (Some(true), Some("Demo calendar")),
        "{tested}"
    );
    let added = invoke(&h, "add_source", json!({ "input": { "location": good } })).unwrap();
    assert_eq!(added["name"], "Demo calendar", "{added}");
    let again = invoke(&h, "add_source", json!({ "input": { "location": good } })).unwrap();
    assert_eq!(again["name"], "Demo calendar (2)", "{again}");

    // A file under home that is not a calendar: the same refusal and the same way past it.
    let notes = h._dir.path().join("notes.ics");
    std::fs::write(&notes, "shopping: milk").unwrap();
    let err = invoke(&h, "add_source", json!({ "input": { "location": notes } })).unwrap_err();
    assert_eq!(err["code"], "not_a_calendar", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("not a calendar"),
        "{err}"
    );
    invoke(
        &h,
        "add_source",
        json!({ "input": { "location": notes, "add_anyway": true } }),
    )
    .unwrap();
    // A window-policy refusal is not one to add anyway.
    let tested = invoke(
        &h,
        "test_source",
        json!({ "input": { "location": "/etc/passwd" } }),
    )
    .unwrap();
    assert_eq!(tested["add_anyway"], false, "{tested}");
    let err = invoke(
        &h,
        "add_source",
        json!({ "input": { "location": "/etc/passwd", "add_anyway": true } }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_location", "{err}");
}

/// The page offers "Add anyway" for exactly the refusals the core lets `add_anyway`
/// override: its list is checked against the core's, so the two cannot drift apart.
#[test]
fn the_page_offers_add_anyway_for_the_cores_codes() {
    use calendarbot_core::api::sources::ADD_ANYWAY_CODES;
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/pages/sources.js"))
        .unwrap();
    let start = page.find("const ANYWAY_CODES = new Set([").unwrap();
    let list = &page[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    let mut page_codes: Vec<&str> = list
        .split(',')
        .map(|c| c.trim().trim_matches('\''))
        .collect();
    let mut core_codes: Vec<&str> = ADD_ANYWAY_CODES.iter().map(|c| c.as_str()).collect();
    page_codes.sort_unstable();
    core_codes.sort_unstable();
    assert_eq!(page_codes, core_codes);
}

/// A file picked in the chooser may be outside home (the user chose it); the page only
/// holds a token for it, and a token the chooser did not give names nothing.
#[test]
fn a_chosen_file_may_be_outside_home_but_only_through_its_token() {
    use calendarbot_core::window_policy::{ChosenFiles, FILE_REFUSED};
    let h = harness();
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = outside.path().join("team.ics");
    std::fs::copy(h.demo_copy(), &elsewhere).unwrap();
    // Typed, it is refused (outside home).
    let err = invoke(
        &h,
        "add_source",
        json!({ "input": { "location": elsewhere } }),
    )
    .unwrap_err();
    assert_eq!(err["message"], FILE_REFUSED);
    // Chosen: what `choose_source_file` does after the dialog returns.
    h.webview.manage(ChosenFiles::default());
    let token = h.webview.state::<ChosenFiles>().remember(elsewhere.clone());
    let input = json!({ "location": "shown only", "chosen": token });
    let tested = invoke(&h, "test_source", json!({ "input": input })).unwrap();
    assert_eq!(tested["ok"], true, "{tested}");
    let added = invoke(&h, "add_source", json!({ "input": input })).unwrap();
    let real = std::fs::canonicalize(&elsewhere).unwrap();
    assert_eq!(added["location"], real.to_str().unwrap(), "{added}");
    assert_eq!(added["name"], "Demo calendar", "{added}");
    let forged = json!({ "location": "/etc/passwd", "chosen": "chosen-0123456789abcdef" });
    let err = invoke(&h, "add_source", json!({ "input": forged })).unwrap_err();
    assert_eq!(
        (err["code"].as_str(), err["message"].as_str()),
        (Some("invalid_location"), Some(FILE_REFUSED))
    );
}

/// An HTTP server on 127.0.0.1 answering every request with `status` and no calendar.
fn serve_status(status: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let reply =
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}/gone.ics")
}

/// A one-shot HTTP server on 127.0.0.1 answering every request with the demo calendar.
fn serve_demo_calendar() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src-tauri/core/assets/demo.ics"
    ))
    .unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}/team.ics")
}

#[test]
fn the_window_fetches_no_local_network_address_unless_allowed() {
    let h = harness();
    let url = serve_demo_calendar();
    for location in [
        url.as_str(),
        "http://[::1]:9/a.ics",
        "http://10.1.2.3/a.ics",
        "http://172.20.0.1/a.ics",
        "http://192.168.0.1/a.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/a.ics",
        "http://[fe80::1]/a.ics",
    ] {
        let input = json!({ "location": location });
        let tested = invoke(&h, "test_source", json!({ "input": input })).unwrap();
        assert_eq!(tested["ok"], false, "{location}");
        assert!(
            tested["message"]
                .as_str()
                .unwrap()
                .contains("local network"),
            "{tested}"
        );
        let err = invoke(&h, "add_source", json!({ "input": input })).unwrap_err();
        assert_eq!(err["code"], "local_network", "{location}");
    }
    // The window cannot turn it on; the command line can.
    let err = invoke(
        &h,
        "set_setting",
        json!({ "key": "fetch.allow_local_network", "value": "true" }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "read_only");
    let pool = h.backend().pool().clone();
    tauri::async_runtime::block_on(calendarbot_core::settings::set(
        &pool,
        "fetch.allow_local_network",
        "true",
    ))
    .unwrap();
    let tested = invoke(&h, "test_source", json!({ "input": { "location": url } })).unwrap();
    assert_eq!(
        (tested["ok"].as_bool(), tested["events"].as_u64()),
        (Some(true), Some(6)),
        "{tested}"
    );
}

#[test]
fn the_window_cannot_change_autostart_nor_the_local_network_rule() {
    let h = harness();
    for key in ["app.autostart", "fetch.allow_local_network"] {
        let err = invoke(&h, "set_setting", json!({ "key": key, "value": "true" })).unwrap_err();
        assert_eq!(err["code"], "read_only", "{key}");
        let all = invoke(&h, "get_settings", json!({})).unwrap();
        let setting = all
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap()
            .clone();
        assert_eq!(
            (setting["value"].as_str(), setting["read_only"].as_bool()),
            (Some("false"), Some(true))
        );
    }
    assert!(
        !h._dir.path().join("autostart").exists(),
        "no autostart entry written"
    );
}

/// `events.declined = hide` drops declined meetings from every view.
#[test]
fn declined_events_are_hidden_when_the_setting_says_so() {
    let h = harness();
    let backend = h.backend();
    let feed = h._dir.path().join("declined.ics");
    std::fs::write(
        &feed,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n\
         BEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20260501T000000Z\r\nDTSTART:20260506T090000Z\r\nDTEND:20260506T093000Z\r\nSUMMARY:Declined one\r\n\
         ATTENDEE;PARTSTAT=DECLINED:mailto:me@example.com\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:b@t\r\nDTSTAMP:20260501T000000Z\r\nDTSTART:20260506T100000Z\r\nDTEND:20260506T103000Z\r\nSUMMARY:Accepted one\r\n\
         ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    invoke(
        &h,
        "set_setting",
        json!({ "key": "me.emails", "value": "me@example.com" }),
    )
    .unwrap();
    add_and_wait_until_fetched(&h, &feed);
    let summaries = |h: &Harness| {
        invoke(h, "get_agenda", json!({ "from": "2026-05-06", "days": 1 }))
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["summary"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(summaries(&h), ["Declined one", "Accepted one"]);
    invoke(
        &h,
        "set_setting",
        json!({ "key": "events.declined", "value": "hide" }),
    )
    .unwrap();
    assert_eq!(summaries(&h), ["Accepted one"]);
    tauri::async_runtime::block_on(backend.shutdown(std::time::Duration::from_secs(5)));
}

/// A Tauri error does not end the tray updater: it is shown in the loop health and
/// Diagnostics, and the next change (or the backoff) retries it.
#[test]
fn the_tray_updater_survives_tauri_errors() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let h = harness();
    let backend = h.backend();
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let mut loops = backend.subscribe_loops();
    calendarbot_lib::tray::spawn_updater_with(h.webview.app_handle(), move |_app| {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 2 {
                Err(tauri::Error::WebviewNotFound)
            } else {
                Ok(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap())
            }
        }
    });
    let tray = |l: &Vec<calendarbot_core::backend::LoopHealth>| {
        l.iter()
            .find(|l| l.name == calendarbot_lib::tray::TRAY_LOOP)
            .cloned()
    };
    tauri::async_runtime::block_on(async {
        let bound = std::time::Duration::from_secs(60);
        let failing = tokio::time::timeout(
            bound,
            loops.wait_for(|l| tray(l).is_some_and(|t| t.failures > 0)),
        )
        .await
        .unwrap()
        .unwrap()
        .clone();
        assert!(
            tray(&failing)
                .unwrap()
                .last_error
                .unwrap()
                .contains("webview"),
            "{failing:?}"
        );
        let d = invoke(&h, "get_diagnostics", json!({})).unwrap();
        assert_eq!(d["loops"][0]["name"], "tray", "{d}");
        // A change retries at once (the backoff would too, later): every step after a
        // failure changes the loop health, so each poke is answered.
        while tray(&loops.borrow_and_update()).is_none_or(|t| t.failures > 0) {
            backend.recompute_agenda().await.unwrap();
            tokio::time::timeout(bound, loops.changed())
                .await
                .unwrap()
                .unwrap();
        }
    });
    assert!(calls.load(Ordering::SeqCst) >= 3);
    let report = backend.tasks().report();
    assert!(
        report.active.iter().any(|t| t.name == "tray"),
        "the updater still runs"
    );
    tauri::async_runtime::block_on(backend.shutdown(std::time::Duration::from_secs(5)));
}

/// The window's hide commands: an occurrence from `get_agenda`, hidden by its own
/// fields, leaves the agenda; `list_hidden` names it; `unhide_event` brings it back;
/// unknown sources, UIDs and rules are `not_found` with words.
#[test]
fn hide_event_list_hidden_and_unhide_event_round_trip() {
    let h = harness();
    let backend = h.backend();
    let feed = h._dir.path().join("series.ics");
    std::fs::write(
        &feed,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n\
         BEGIN:VEVENT\r\nUID:s@t\r\nDTSTAMP:20260501T000000Z\r\nDTSTART:20260506T090000Z\r\nDTEND:20260506T093000Z\r\n\
         RRULE:FREQ=DAILY;COUNT=2\r\nSUMMARY:Series\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    add_and_wait_until_fetched(&h, &feed);
    let agenda = |h: &Harness| {
        invoke(h, "get_agenda", json!({ "from": "2026-05-06", "days": 2 }))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let before = agenda(&h);
    assert_eq!(before.len(), 2, "{before:?}");
    let first = &before[0];
    let input = json!({ "source_id": first["source_id"], "uid": first["uid"],
                        "recurrence_id": first["recurrence_id"], "title": first["summary"] });
    let rule = invoke(&h, "hide_event", json!({ "input": input })).unwrap();
    assert_eq!(rule["recurrence_id"], first["recurrence_id"]);
    assert_eq!(agenda(&h), before[1..].to_vec());
    let listed = invoke(&h, "list_hidden", json!({})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["title"], "Series");

    let bad = json!({ "input": { "source_id": 99, "uid": "s@t" } });
    let e = invoke(&h, "hide_event", bad).unwrap_err();
    assert_eq!(e["code"], "not_found", "{e}");
    let e = invoke(
        &h,
        "hide_event",
        json!({ "input": { "source_id": first["source_id"], "uid": "nope" } }),
    )
    .unwrap_err();
    assert_eq!(e["code"], "not_found", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("no event with UID 'nope'"),
        "{e}"
    );

    invoke(&h, "unhide_event", json!({ "id": rule["id"] })).unwrap();
    assert_eq!(agenda(&h), before);
    let e = invoke(&h, "unhide_event", json!({ "id": rule["id"] })).unwrap_err();
    assert_eq!(e["code"], "not_found", "{e}");
    tauri::async_runtime::block_on(backend.shutdown(std::time::Duration::from_secs(5)));
}
