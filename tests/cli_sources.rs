//! `calendarbot sources add` refuses, before adding anything, what cannot be a
//! calendar: a missing file, a folder, a device, a FIFO (which would block the
//! reader), a web address typed without its scheme, and a location that does not
//! answer with a calendar (a 404, a web page, a 500, plain text, an empty body, a
//! refused connection, a file that is not iCalendar). Each refusal is one line on
//! stderr (exit 2 when the input is wrong, 1 when the server failed), and the list of
//! sources stays empty; `--add-anyway` adds what answered badly. A calendar added
//! without a name is named as the feed names itself (X-WR-CALNAME).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
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
    refused_with(dir, location, 2)
}

fn refused_with(dir: &Path, location: &str, code: i32) -> String {
    let out = run(dir, &["sources", "add", location]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{location}: {err}");
    assert_eq!(err.lines().count(), 1, "{location}: {err:?}");
    err
}

fn listed(dir: &Path) -> serde_json::Value {
    let list = run(dir, &["sources", "list", "--format", "json"]);
    assert!(list.status.success());
    serde_json::from_slice(&list.stdout).unwrap()
}

/// The calendar the server answers on `/team.ics`: its name carries a bidi override,
/// which the engine's text boundary removes.
const TEAM: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
    X-WR-CALNAME:Team \u{202e}Standups\r\n\
    BEGIN:VEVENT\r\nUID:a@test\r\nDTSTAMP:20260101T000000Z\r\n\
    DTSTART:20260506T090000Z\r\nDTEND:20260506T093000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
    END:VCALENDAR\r\n";

/// An HTTP server on 127.0.0.1 that answers by path: a calendar, a 404, a 500, a
/// sign-in page, plain text and an empty body. Returns its base address.
fn serve() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 4096];
            let n = stream.read(&mut request).unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..n]).to_string();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, kind, body): (&str, &str, &str) = match path.as_str() {
                "/team.ics" => ("200 OK", "text/calendar", TEAM),
                "/gone.ics" => ("404 Not Found", "text/plain", "not found"),
                "/broken.ics" => ("500 Internal Server Error", "text/plain", "oops"),
                "/login.ics" => (
                    "200 OK",
                    "text/html",
                    "<!DOCTYPE html><html><body>Sign in</body></html>",
                ),
                "/text.ics" => ("200 OK", "text/plain", "just some words, no calendar"),
                "/empty.ics" => ("200 OK", "text/calendar", ""),
                _ => ("404 Not Found", "text/plain", ""),
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_location_must_answer_with_a_calendar_unless_added_anyway() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let base = serve();
    let url = |p: &str| format!("{base}{p}");

    // The input is wrong (the location answers, not with a calendar): exit 2.
    let err = refused(dir, &url("/gone.ics"));
    assert!(err.contains("404"), "{err}");
    assert!(err.contains("--add-anyway"), "{err}");
    assert!(refused(dir, &url("/login.ics")).contains("web page"));
    assert!(refused(dir, &url("/text.ics")).contains("not an iCalendar feed"));
    assert!(refused(dir, &url("/empty.ics")).contains("empty"));
    // The server failed or is not there: exit 1 (it may work later).
    assert!(refused_with(dir, &url("/broken.ics"), 1).contains("500"));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = refused_with(dir, &format!("http://127.0.0.1:{port}/a.ics"), 1);
    assert!(err.contains("could not connect"), "{err}");
    // A bad value is refused before the location is read (no connection is tried).
    let out = run(
        dir,
        &[
            "sources",
            "add",
            &format!("http://127.0.0.1:{port}/a.ics"),
            "--color",
            "red",
        ],
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid colour") && !err.contains("connect"),
        "{err}"
    );
    // Nothing was stored.
    assert_eq!(listed(dir), serde_json::json!([]));

    // A calendar is added under its own name, cleaned; the same feed again gets a number.
    let out = run(dir, &["sources", "add", &url("/team.ics")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(dir, &["sources", "add", &url("/team.ics")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A name the user gives wins over the feed's.
    let out = run(
        dir,
        &["sources", "add", &url("/team.ics"), "--name", "Mine"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = listed(dir)
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Team Standups", "Team Standups (2)", "Mine"]);

    // --add-anyway adds the 404 (named after its host, as before) without asking it.
    let out = run(dir, &["sources", "add", &url("/gone.ics"), "--add-anyway"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = listed(dir);
    assert_eq!(list.as_array().unwrap().len(), 4, "{list}");
    assert_eq!(list[3]["name"], "127.0.0.1", "{list}");
}

#[test]
fn a_local_file_that_is_not_a_calendar_is_refused_unless_added_anyway() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let files = tempfile::tempdir().unwrap();
    let notes = files.path().join("notes.ics");
    std::fs::write(&notes, "shopping: milk, eggs").unwrap();
    let err = refused(dir, notes.to_str().unwrap());
    assert!(err.contains("not an iCalendar feed"), "{err}");
    assert_eq!(listed(dir), serde_json::json!([]));
    let out = run(
        dir,
        &["sources", "add", notes.to_str().unwrap(), "--add-anyway"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(listed(dir)[0]["name"], "notes");
    // A missing file is not a calendar to add anyway: there is nothing to read.
    let missing = files.path().join("missing.ics");
    let out = run(
        dir,
        &["sources", "add", missing.to_str().unwrap(), "--add-anyway"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_help_names_add_anyway() {
    let data = tempfile::tempdir().unwrap();
    let out = run(data.path(), &["sources", "add", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--add-anyway"), "{help}");
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
