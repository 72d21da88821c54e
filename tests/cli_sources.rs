//! `calendarbot sources add` refuses, before adding anything, what cannot be a
//! calendar: a missing file, a folder, a device, a FIFO (which would block the
//! reader), and a web address typed without its scheme. Each refusal is one line on
//! stderr with exit 2, and the list of sources stays empty.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calendarbot"))
        .env_remove("CALENDARBOT_DATA_DIR")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("RUST_LOG", "off")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn refused(dir: &Path, location: &str) -> String {
    let out = run(dir, &["sources", "add", location]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{location}: {err}");
    assert_eq!(err.lines().count(), 1, "{location}: {err:?}");
    err
}

#[test]
fn what_cannot_be_a_calendar_is_refused_before_it_is_added() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let files = tempfile::tempdir().unwrap();

    let missing = files.path().join("missing.ics");
    assert!(refused(dir, missing.to_str().unwrap()).contains("there is no file"));
    assert!(refused(dir, files.path().to_str().unwrap()).contains("is a folder"));
    assert!(refused(dir, "/dev/zero").contains("not a regular file"));
    let fifo = files.path().join("feed.ics");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    assert!(refused(dir, fifo.to_str().unwrap()).contains("not a regular file"));

    let google = "calendar.google.com/calendar/ical/me%40x.org/private-SECRET/basic.ics";
    let err = refused(dir, google);
    assert!(
        err.contains("did you mean https://calendar.google.com/"),
        "{err}"
    );
    assert!(
        !err.contains("SECRET"),
        "the secret part of the address is echoed: {err}"
    );

    let list = run(dir, &["sources", "list", "--format", "json"]);
    assert_eq!(String::from_utf8(list.stdout).unwrap().trim(), "[]");

    // A regular readable file is added, with a colour of its own.
    let good = files.path().join("team.ics");
    std::fs::write(&good, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n").unwrap();
    let out = run(dir, &["sources", "add", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = run(dir, &["sources", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["kind"], "file");
    assert!(
        list[0]["color"]
            .as_str()
            .is_some_and(|c| c.starts_with('#')),
        "{list}"
    );
}
