//! `calendarbot accounts add|list|remove` on the real binary against a real Radicale
//! started here on 127.0.0.1 (the same servers as the core's CalDAV tests): discovery
//! from the server's address, one source per chosen calendar shown as `"kind": "caldav"`
//! with the calendar's colour, the events in `agenda` at once, a change picked up by
//! `sync`, a wrong password reported in words without the password, and removal that
//! takes the sources and their credentials with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../src-tauri/core/tests/caldav_common/mod.rs"]
mod caldav_common;

use std::path::Path;
use std::process::{Command, Output};

use caldav_common::{available, Kind, Server, PASSWORD, USER};
use serde_json::Value;

const PASSWORD_VAR: &str = "CALENDARBOT_TEST_CALDAV_PASSWORD";

fn run(dir: &Path, password: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calendarbot"))
        .env_remove("CALENDARBOT_DATA_DIR")
        .env("RUST_LOG", "off")
        .env("NO_COLOR", "1")
        // No session bus, so no desktop keyring: the credentials go to the 0600 file,
        // which the test reads, and the user's keyring is never touched.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(PASSWORD_VAR, password)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json(out: Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

fn summaries(dir: &Path) -> Vec<String> {
    let out = ok(run(
        dir,
        PASSWORD,
        &[
            "agenda",
            "--from",
            "2030-01-01",
            "--to",
            "2030-01-31",
            "--tz",
            "UTC",
            "--format",
            "jsonl",
        ],
    ));
    let mut s: Vec<String> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["summary"].as_str().unwrap().to_string()
        })
        .collect();
    s.sort();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_from_the_command_line_against_radicale() {
    if !available(Kind::Radicale) {
        return;
    }
    let server = Server::start(Kind::Radicale).await;
    let work = server.mkcalendar("work", "Work", "#FF8800FF").await;
    let home = server.mkcalendar("home", "Home", "#3366CC").await;
    server
        .put_event(&work, "standup", "Standup", "20300105T090000Z")
        .await;
    server
        .put_event(&home, "dentist", "Dentist", "20300106T160000Z")
        .await;
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let address = server.address();

    // A wrong password: one line in words, exit 1, the password never echoed, nothing added.
    let wrong = run(
        dir,
        "not-the-password",
        &[
            "accounts",
            "add",
            &address,
            "--user",
            USER,
            "--password-env",
            PASSWORD_VAR,
        ],
    );
    let err = text(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(
        err.contains("password") || err.contains("credentials") || err.contains("401"),
        "{err}"
    );
    assert!(!err.contains("not-the-password") && !text(&wrong.stdout).contains("not-the-password"));
    assert_eq!(
        json(run(dir, PASSWORD, &["sources", "list", "--format", "json"])),
        Value::Array(vec![])
    );

    // Only the chosen calendar, found from the server's address alone.
    let added = ok(run(
        dir,
        PASSWORD,
        &[
            "accounts",
            "add",
            &address,
            "--user",
            USER,
            "--password-env",
            PASSWORD_VAR,
            "--calendars",
            "work",
        ],
    ));
    assert!(added.contains("1 calendar(s) added"), "{added}");
    assert!(added.contains("\"Work\""), "{added}");
    assert!(!added.contains(PASSWORD), "{added}");

    let list = json(run(dir, PASSWORD, &["sources", "list", "--format", "json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["kind"], "caldav");
    assert_eq!(list[0]["name"], "Work");
    assert_eq!(list[0]["color"], "#FF8800");
    assert_eq!(summaries(dir), ["Standup"], "the first sync ran at add");

    // The rest of the account, then a change on the server picked up by `sync`.
    ok(run(
        dir,
        PASSWORD,
        &[
            "accounts",
            "add",
            &address,
            "--user",
            USER,
            "--password-env",
            PASSWORD_VAR,
        ],
    ));
    let accounts = json(run(
        dir,
        PASSWORD,
        &["accounts", "list", "--format", "json"],
    ));
    let accounts = accounts.as_array().unwrap();
    assert_eq!(
        accounts.len(),
        1,
        "one account, its calendars added to it: {accounts:?}"
    );
    let names: Vec<&str> = accounts[0]["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Work", "Home"]);
    assert_eq!(summaries(dir), ["Dentist", "Standup"]);

    server
        .put_event(&work, "review", "Review", "20300107T140000Z")
        .await;
    server.delete_event(&home, "dentist").await;
    let synced = ok(run(dir, PASSWORD, &["sync"]));
    assert!(!synced.contains("FAILED"), "{synced}");
    assert_eq!(summaries(dir), ["Review", "Standup"]);

    // Removal takes its sources, events and credentials.
    let secrets = dir.join("secrets.json");
    let before = std::fs::read_to_string(&secrets).unwrap_or_default();
    assert!(
        before.contains(PASSWORD),
        "the password is kept in the 0600 file"
    );
    let account = accounts[0]["name"].as_str().unwrap().to_string();
    let removed = ok(run(dir, PASSWORD, &["accounts", "remove", &account]));
    assert!(removed.contains("2 calendar source(s)"), "{removed}");
    assert_eq!(
        json(run(dir, PASSWORD, &["sources", "list", "--format", "json"])),
        Value::Array(vec![])
    );
    let after = std::fs::read_to_string(&secrets).unwrap_or_default();
    assert!(
        !after.contains(PASSWORD),
        "credentials left behind: {after}"
    );
    let gone = run(dir, PASSWORD, &["accounts", "remove", &account]);
    assert_eq!(gone.status.code(), Some(2), "{}", text(&gone.stderr));
}
