//! The command line's promises, on the real binary: a closed pipe ends quietly, usage
//! errors (clap's and ours) are one line on stderr with exit 2, negative numbers are
//! values refused in words, echoed names have their control characters escaped, a clock
//! before 1970 is an error, and `agenda --format ics` writes a calendar the engine reads
//! back to the same occurrences.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_calendarbot"));
    c.env_remove("CALENDARBOT_DATA_DIR")
        .env("RUST_LOG", "off")
        .env("NO_COLOR", "1");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Asserts a usage error: exit 2, nothing on stdout, exactly one line on stderr.
fn one_line_usage_error(out: &Output) -> String {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("calendarbot: "), "{err:?}");
    err
}

/// A feed of 20 daily meetings: a year of them is megabytes of jsonl.
fn big_feed(dir: &Path) -> PathBuf {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
    for i in 0..20 {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:daily{i}@t\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250101T{:02}0000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Meeting number {i} with a reasonably long title\r\nEND:VEVENT\r\n",
            i % 24
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    let path = dir.join("big.ics");
    std::fs::write(&path, s).unwrap();
    path
}

/// `curl … | calendarbot agenda --ics -`: a dash reads the feed from a pipe, beside
/// files; a second dash is refused (the pipe can be read once).
#[test]
fn ics_dash_reads_the_feed_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:piped@t\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250102T090000Z\r\nDURATION:PT30M\r\nSUMMARY:Piped meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let file = dir.path().join("other.ics");
    std::fs::write(
        &file,
        feed.replace("piped@t", "file@t").replace("Piped", "Filed"),
    )
    .unwrap();
    let agenda = |args: &[&str]| {
        let mut child = bin()
            .args([
                "agenda",
                "--from",
                "2025-01-01",
                "--tz",
                "UTC",
                "--format",
                "jsonl",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A refused command may exit before it reads: the pipe is then closed.
        let _ = child.stdin.take().unwrap().write_all(feed.as_bytes());
        child.wait_with_output().unwrap()
    };
    let out = agenda(&["--ics", "-", "--ics", file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("\"Piped meeting\"") && text.contains("\"Filed meeting\""),
        "{text}"
    );

    let err = one_line_usage_error(&agenda(&["--ics", "-", "--ics", "-"]));
    assert!(
        err.contains("standard input") && err.contains("once"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let feed = big_feed(dir.path());
    let mut child = bin()
        .args(["agenda", "--ics"])
        .arg(&feed)
        .args([
            "--from",
            "2025-01-01",
            "--to",
            "2026-01-01",
            "--tz",
            "UTC",
            "--format",
            "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe as `head -1` does; the rest (megabytes) can
    // only fail to be written.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "stderr: {err}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn clap_usage_errors_are_one_line_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = one_line_usage_error(&run(d, &["agnda"]));
    assert!(err.contains("'agnda'") && err.contains("agenda"), "{err}");
    let err = one_line_usage_error(&run(d, &["agenda", "--format", "xml"]));
    assert!(err.contains("xml"), "{err}");
    let err = one_line_usage_error(&run(d, &["agenda", "--nope"]));
    assert!(err.contains("--nope"), "{err}");
    let err = one_line_usage_error(&run(d, &["sources"]));
    assert!(
        err.contains("calendarbot sources") && err.contains("add"),
        "{err}"
    );
    // Help is not an error: stdout, exit 0.
    let help = run(d, &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("agenda"));
}

#[test]
fn negative_numbers_are_values_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = one_line_usage_error(&run(d, &["settings", "set", "notify.lead_minutes", "-5"]));
    assert!(err.contains("-5 must be between 0 and 1440"), "{err}");
    assert!(!err.contains("..="), "{err}");
    let feed = big_feed(d);
    let err = one_line_usage_error(&run(
        d,
        &[
            "sources",
            "add",
            feed.to_str().unwrap(),
            "--lead-minutes",
            "-5",
        ],
    ));
    assert!(err.contains("0 to 1440 minutes"), "{err}");
    // And an accepted value still works.
    let ok = run(d, &["settings", "set", "notify.lead_minutes", "10"]);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "notify.lead_minutes = 10\n"
    );
}

#[test]
fn echoed_names_have_control_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        vec!["settings", "set", "evil\x1b[2Jkey", "1"],
        vec![
            "agenda",
            "--ics",
            "/nonexistent/x.ics",
            "--tz",
            "Bad\x1b]0;title\x07Zone",
        ],
        vec!["sources", "remove", "no\u{202e}such\x1b[31m"],
        vec!["agenda", "--tz", "UTC", "--from", "2026-01-01\x1b[1m"],
    ] {
        let out = run(d, &args);
        let err = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(
            !err.contains('\x1b') && !err.contains('\u{202e}') && !err.contains('\x07'),
            "{args:?}: {err:?}"
        );
        assert!(
            err.contains("\\x1b") || err.contains("\\u{202e}"),
            "{args:?}: {err:?}"
        );
        assert_ne!(out.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn missing_and_unreadable_files_are_one_line_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = one_line_usage_error(&run(d, &["agenda", "--ics", "/nonexistent/cal.ics"]));
    assert!(err.contains("cannot read /nonexistent/cal.ics"), "{err}");
    let page = d.join("page.ics");
    std::fs::write(&page, "<!doctype html><html></html>").unwrap();
    let err = one_line_usage_error(&run(d, &["agenda", "--ics", page.to_str().unwrap()]));
    assert!(err.contains("web page"), "{err}");
}

#[test]
fn a_clock_before_1970_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let faketime = Command::new("faketime")
        .arg("1969-07-20 20:17:00")
        .arg(env!("CARGO_BIN_EXE_calendarbot"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("next")
        .env("RUST_LOG", "off")
        .output()
        .expect("faketime is needed for this test: scripts/ensure-deps.sh test installs it");
    let err = String::from_utf8_lossy(&faketime.stderr);
    assert_eq!(faketime.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.contains("before 1970"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn agenda_as_ics_reads_back_to_the_same_occurrences() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = d.join("src.ics");
    std::fs::write(
        &src,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
         BEGIN:VEVENT\r\nUID:weekly@t\r\nDTSTAMP:20250101T000000Z\r\n\
         DTSTART;TZID=Europe/Berlin:20260302T093000\r\nDURATION:PT45M\r\n\
         RRULE:FREQ=WEEKLY;COUNT=6\r\nEXDATE;TZID=Europe/Berlin:20260316T093000\r\n\
         SUMMARY:Plan\\, review\\; ship\r\nLOCATION:Room 1\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:weekly@t\r\nDTSTAMP:20250101T000000Z\r\n\
         RECURRENCE-ID;TZID=Europe/Berlin:20260323T093000\r\n\
         DTSTART;TZID=Europe/Berlin:20260324T140000\r\nDURATION:PT1H\r\n\
         SUMMARY:Plan (moved)\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:holiday@t\r\nDTSTAMP:20250101T000000Z\r\n\
         DTSTART;VALUE=DATE:20260305\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n\
         SUMMARY:Day off\r\nSTATUS:TENTATIVE\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n",
    )
    .unwrap();
    let agenda = |file: &Path, format: &str| {
        let out = run(
            d,
            &[
                "agenda",
                "--ics",
                file.to_str().unwrap(),
                "--from",
                "2026-03-01",
                "--to",
                "2026-05-01",
                "--tz",
                "Europe/Berlin",
                "--format",
                format,
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let ics = agenda(&src, "ics");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(
        ics.contains("PRODID:") && ics.contains("VERSION:2.0"),
        "{ics}"
    );
    assert!(!ics.contains("TZID"), "times are UTC: {ics}");
    assert!(ics.contains("RECURRENCE-ID:20260323T083000Z"), "{ics}");
    let export = d.join("export.ics");
    std::fs::File::create(&export)
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    // Same uid, start, end, summary, recurrence id, status; only `source` (the file
    // name) differs.
    let strip = |jsonl: String| -> Vec<serde_json::Value> {
        jsonl
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("source");
                v
            })
            .collect()
    };
    let before = strip(agenda(&src, "jsonl"));
    let after = strip(agenda(&export, "jsonl"));
    assert_eq!(
        before.len(),
        8,
        "5 weekly (one excluded, one moved) + 3 days off"
    );
    assert_eq!(before, after);
}

/// `status` shows the running app's failing background loops, one line each (and in
/// JSON), from what the app publishes in its data directory. The "app" here is a
/// `calendarbot` process blocked reading its stdin, so its pid is alive under the name
/// the snapshot records, as the app's would be.
#[test]
fn status_shows_the_running_apps_failing_loops_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut app = bin()
        .args(["agenda", "--ics", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::fs::write(
        d.join("runtime.json"),
        format!(
            r#"{{"pid":{},"process_name":"calendarbot","written_at":"2026-05-06T06:00:00Z","tasks":{{"active":[],"finished":[],"blocking_in_flight":0,"blocking_total":0,"memory":{{"rss_bytes":0,"anon_bytes":0}}}}}}"#,
            app.id()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("loops.json"),
        r#"[{"name":"refresh scheduler","failures":3,"last_error":"database is locked","failing_since":"2026-05-06T06:00:00Z","retry_at":"2026-05-06T06:00:20Z"},
            {"name":"tray","failures":0,"last_error":"old","failing_since":null,"retry_at":null}]"#,
    )
    .unwrap();
    let text = run(d, &["status"]);
    let json = run(d, &["status", "--format", "json"]);
    app.kill().unwrap();
    let _ = app.wait();

    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("CalendarBot is running"), "{text}");
    let loops: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("background task"))
        .collect();
    assert_eq!(
        loops,
        ["background task 'refresh scheduler' is failing since 06:00:00 UTC (3 in a row: database is locked); next try 06:00:20 UTC"],
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let failing = json["app"]["failing_loops"].as_array().unwrap();
    assert_eq!(failing.len(), 1, "{json}");
    assert_eq!(failing[0]["name"], "refresh scheduler");
    assert_eq!(failing[0]["failures"], 3);
}

/// `_` is a menu's mnemonic mark, and only the tray's menu doubles it: `next` (and the
/// panel's label and tooltip) show the title as it is.
#[test]
fn next_writes_the_title_as_it_is_underscores_included() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let feed = d.join("q3.ics");
    let start = chrono::Utc::now() + chrono::Duration::hours(2);
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    std::fs::write(
        &feed,
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:q3@t\r\n\
             DTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Q3_review__final\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n",
            stamp(start),
            stamp(start + chrono::Duration::hours(1))
        ),
    )
    .unwrap();
    let added = run(
        d,
        &["sources", "add", feed.to_str().unwrap(), "--name", "Q"],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(run(d, &["sync"]).status.success());
    let out = run(d, &["next"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.trim_end().ends_with(": Q3_review__final"), "{text}");
}

/// The shared libraries `ldd` lists for a binary.
#[cfg(target_os = "linux")]
fn shared_libraries(binary: &str) -> String {
    let out = Command::new("ldd").arg(binary).output().unwrap();
    assert!(out.status.success(), "ldd {binary}");
    String::from_utf8(out.stdout).unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn the_command_does_not_load_webkit_the_app_does() {
    // Why there are two binaries: every `calendarbot next` from a status bar would
    // otherwise load and relocate WebKitGTK's whole tree first (80 ms, measured).
    let command = shared_libraries(env!("CARGO_BIN_EXE_calendarbot"));
    let app = shared_libraries(env!("CARGO_BIN_EXE_calendarbot-app"));
    for lib in ["libwebkit2gtk", "libgtk-3", "libjavascriptcoregtk"] {
        assert!(
            !command.contains(lib),
            "the command links {lib}:\n{command}"
        );
        assert!(app.contains(lib), "the app does not link {lib}:\n{app}");
    }
}

#[cfg(unix)]
#[test]
fn without_the_app_beside_it_the_command_says_so() {
    // `calendarbot` with no subcommand becomes `calendarbot-app` from its own directory.
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("calendarbot");
    std::fs::copy(env!("CARGO_BIN_EXE_calendarbot"), &lone).unwrap();
    let out = Command::new(&lone)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    let app = dir.path().join("calendarbot-app");
    assert!(
        err.contains(&format!("cannot start the tray app {}", app.display())),
        "{err}"
    );
}

#[test]
fn the_app_binary_refuses_arguments_it_does_not_take() {
    let out = Command::new(env!("CARGO_BIN_EXE_calendarbot-app"))
        .arg("agenda")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.contains("started by `calendarbot`"), "{err}");
}
