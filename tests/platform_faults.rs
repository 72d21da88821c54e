//! The platform's faults met through the real `calendarbot` binary, as a user meets
//! them: an existing data directory keeps its mode, a damaged database is moved aside
//! and the configuration restored, parallel `sources add/remove` leave no orphan
//! credentials, a full disk and a read-only directory are one line each while
//! `agenda`, `status` and `next` keep working, and the autostart entry cannot be
//! given an extra line through the data directory's name.
//!
//! Every child gets its own environment (no session bus, so the secrets file is used;
//! its own XDG_CONFIG_HOME): nothing process-wide is changed.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn calendarbot(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_calendarbot"));
    c.arg("--data-dir")
        .arg(dir)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("RUST_LOG")
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    calendarbot(dir).args(args).output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "calendarbot {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n\
BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20300301T090000Z\r\n\
DTEND:20300301T091500Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// A data directory with a local calendar (synced) and a feed with a secret address.
fn configured(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let ics = dir.join("team.ics");
    std::fs::write(&ics, FEED).unwrap();
    ok(dir, &["sources", "add", ics.to_str().unwrap(), "--name", "Team"]);
    ok(
        dir,
        &["sources", "add", "https://cal.example.com/private-TOKEN/basic.ics", "--name", "Work"],
    );
    ok(dir, &["settings", "set", "notify.lead_minutes", "12"]);
    let _ = run(dir, &["sync"]); // the http source fails (no such host); Team is cached
    ics
}

#[test]
fn an_existing_sticky_directory_keeps_its_mode_after_status() {
    let root = tempfile::tempdir().unwrap();
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    ok(&shared, &["status"]);
    assert_eq!(mode(&shared), 0o1777);
    // One the app creates is private.
    let fresh = root.path().join("fresh");
    ok(&fresh, &["status"]);
    assert_eq!(mode(&fresh), 0o700);
}

fn damaged_database_comes_back(damage: impl FnOnce(&Path)) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    configured(&dir);
    damage(&dir.join("calendarbot.sqlite3"));
    let out = run(&dir, &["sources", "list"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(list.contains("Team") && list.contains("Work"), "{list}");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "one message: {lines:?}");
    assert!(
        lines[0].contains("was damaged") && lines[0].contains("restored 2 source(s)"),
        "{lines:?}"
    );
    assert_eq!(ok(&dir, &["settings", "get", "notify.lead_minutes"]).trim(), "12");
    // The next start is quiet, and the data comes back on the next sync.
    let out = run(&dir, &["sync"]);
    assert!(stderr_lines(&out).iter().all(|l| !l.contains("damaged")));
    let agenda = ok(&dir, &["agenda", "--from", "2030-03-01", "--to", "2030-03-02", "--tz", "UTC"]);
    assert!(agenda.contains("Standup"), "{agenda}");
}

#[test]
fn a_zero_byte_database_is_moved_aside_with_one_message() {
    damaged_database_comes_back(|db| std::fs::write(db, b"").unwrap());
}

#[test]
fn a_malformed_database_is_moved_aside_with_one_message() {
    damaged_database_comes_back(|db| {
        std::fs::write(db, "garbage, not SQLite\n".repeat(300)).unwrap();
    });
}

#[test]
fn eight_parallel_sources_add_and_remove_all_succeed_without_orphans() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    for n in 0..4 {
        ok(&dir, &["sources", "add", &format!("https://old{n}.example/x.ics"), "--name", &format!("old{n}")]);
    }
    let children: Vec<Child> = (0..4)
        .flat_map(|n| {
            let add = calendarbot(&dir)
                .args(["sources", "add", &format!("https://new{n}.example/x.ics"), "--name", &format!("new{n}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let remove = calendarbot(&dir)
                .args(["sources", "remove", &format!("old{n}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            [add, remove]
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let list = ok(&dir, &["sources", "list"]);
    for n in 0..4 {
        assert!(list.contains(&format!("new{n}")) && !list.contains(&format!("old{n}")), "{list}");
    }
    let secrets: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("secrets.json")).unwrap()).unwrap();
    assert_eq!(secrets.len(), 4, "orphan credentials: {:?}", secrets.keys());
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

/// A small tmpfs, unmounted on drop. Mounting needs root, as CI and the dev container are.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mounting a tmpfs failed: these fault tests need root");
        Tmpfs(dir)
    }

    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.path().join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        while f.write_all(b"x").is_ok() {}
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

fn readers_still_work(dir: &Path) {
    let agenda = ok(dir, &["agenda", "--from", "2030-03-01", "--to", "2030-03-02", "--tz", "UTC"]);
    assert!(agenda.contains("Standup"), "{agenda}");
    let status = ok(dir, &["status"]);
    assert!(status.contains("Team"), "{status}");
    ok(dir, &["next"]);
}

fn one_line_saying(out: &Output, words: &str) {
    assert_eq!(out.status.code(), Some(1));
    let lines = stderr_lines(out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(words) && !lines[0].contains("cannot create"), "{lines:?}");
}

#[test]
fn on_a_full_disk_agenda_status_and_next_work_and_writes_say_so_once() {
    let fs = Tmpfs::mount("6m");
    let dir = fs.0.path().join("data");
    configured(&dir);
    fs.fill();
    readers_still_work(&dir);
    one_line_saying(&run(&dir, &["sources", "add", "https://x.example/a.ics"]), "is full");
}

#[test]
fn on_a_read_only_directory_agenda_status_and_next_work_and_writes_say_so_once() {
    let fs = Tmpfs::mount("8m");
    let dir = fs.0.path().join("data");
    configured(&dir);
    let ro = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(fs.0.path())
        .status()
        .unwrap();
    assert!(ro.success());
    readers_still_work(&dir);
    one_line_saying(&run(&dir, &["settings", "set", "notify.lead_minutes", "3"]), "read-only");
}

#[test]
fn a_newline_in_the_data_dir_does_not_inject_a_line_into_the_autostart_entry() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cal\nHidden=true");
    ok(&dir, &["settings", "set", "app.autostart", "true"]);
    let entry = dir.join("xdg-config/autostart/calendarbot.desktop");
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(!text.lines().any(|l| l.starts_with("Hidden")), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("Exec=")).count(), 1, "{text}");
    assert!(text.contains("cal\\nHidden=true"), "{text}");
}
