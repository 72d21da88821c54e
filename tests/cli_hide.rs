//! `calendarbot hide add|list|remove` on the real binary and a real SQLite file: an
//! occurrence named as `agenda --format json` shows it (source, uid, recurrence_id)
//! leaves `agenda` and `next`; the whole series leaves too; `remove` brings it back;
//! mistakes are one line on stderr with exit 2. `agenda --ics FILE` has no database and
//! so no rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, Utc};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calendarbot"))
        .env_remove("CALENDARBOT_DATA_DIR")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("RUST_LOG", "off")
        .env("TZ", "UTC")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
    err
}

/// (summary, start) of `agenda --format jsonl`.
fn agenda(dir: &Path, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["agenda", "--format", "jsonl"];
    args.extend_from_slice(extra);
    ok(dir, &args)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["summary"].as_str().unwrap().to_string(),
                v["start"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn hide_add_list_remove_with_agenda_and_next_following() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    // A daily standup from tomorrow 09:00 UTC, three times.
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    let first = tomorrow.and_hms_opt(9, 0, 0).unwrap().and_utc();
    let second = first + Duration::days(1);
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let feed = data.path().join("team.ics");
    std::fs::write(
        &feed,
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:standup@cli\r\n\
             DTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nRRULE:FREQ=DAILY;COUNT=3\r\n\
             SUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            fmt(first),
            fmt(first + Duration::minutes(15))
        ),
    )
    .unwrap();
    ok(
        dir,
        &["sources", "add", feed.to_str().unwrap(), "--name", "Team"],
    );
    ok(dir, &["sync"]);
    let from = ["--from", &tomorrow.to_string()];
    let all = agenda(dir, &from);
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(ok(dir, &["hide", "list"]).trim(), "nothing is hidden");

    // The occurrence of the day after tomorrow, as agenda's JSON names it.
    let at = second.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let said = ok(
        dir,
        &[
            "hide",
            "add",
            "--source",
            "Team",
            "--uid",
            "standup@cli",
            "--at",
            &at,
        ],
    );
    assert_eq!(
        said.trim(),
        format!("hid \"Standup\" in Team (the occurrence of {at}): rule 1")
    );
    let left = agenda(dir, &from);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.iter().any(|(_, s)| *s == at), "{left:?}");
    // `agenda --ics` reads the file itself: no database, no rules.
    assert_eq!(
        agenda(
            dir,
            &[
                "--ics",
                feed.to_str().unwrap(),
                "--from",
                &tomorrow.to_string()
            ]
        )
        .len(),
        3
    );

    let listed: serde_json::Value =
        serde_json::from_str(&ok(dir, &["hide", "list", "--format", "json"])).unwrap();
    assert_eq!(listed[0]["uid"], "standup@cli");
    assert_eq!(listed[0]["recurrence_id"], at.as_str());
    assert_eq!(listed[0]["source"], "Team");
    let text = ok(dir, &["hide", "list"]);
    assert!(
        text.contains("Team  \"Standup\"  the occurrence of") && text.contains("[standup@cli]"),
        "{text}"
    );

    // The whole series: `next` has nothing left to say.
    ok(
        dir,
        &["hide", "add", "--source", "1", "--uid", "standup@cli"],
    );
    assert!(agenda(dir, &from).is_empty());
    let next: serde_json::Value =
        serde_json::from_str(&ok(dir, &["next", "--format", "json"])).unwrap();
    assert!(next["next"].is_null(), "{next}");

    // Mistakes, in words.
    assert!(
        refused(dir, &["hide", "add", "--source", "Nope", "--uid", "x"])
            .contains("no source with id or name 'Nope'")
    );
    assert!(
        refused(dir, &["hide", "add", "--source", "Team", "--uid", "typo"])
            .contains("no event with UID 'typo'")
    );
    assert!(refused(
        dir,
        &[
            "hide",
            "add",
            "--source",
            "Team",
            "--uid",
            "standup@cli",
            "--at",
            "soon"
        ]
    )
    .contains("--at:"));
    assert!(refused(dir, &["hide", "remove", "7"]).contains("no hidden event with id 7"));
    assert!(refused(dir, &["hide"]).contains("needs one of: list, add, remove"));

    // Remove both rules: every occurrence is back.
    ok(dir, &["hide", "remove", "2"]);
    ok(dir, &["hide", "remove", "1"]);
    assert_eq!(agenda(dir, &from), all);
}
