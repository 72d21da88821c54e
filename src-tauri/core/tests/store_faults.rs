//! Faults of the platform under the database, on real files: a damaged database
//! (empty, garbage, not a file) is moved aside and the sources and settings come back
//! from the configuration backup; the backup follows every change; a full disk and a
//! read-only directory are one clear line each, and readers still read.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::path::Path;

use calendarbot_core::db::{self, Access, StoreError};
use calendarbot_core::paths::Paths;
use calendarbot_core::secrets::{Preference, SecretStore};
use calendarbot_core::settings;
use calendarbot_core::sources::{self, NewSource};
use sqlx::SqlitePool;

/// A data directory with two sources (one with credentials) and one setting changed,
/// closed as the app or the CLI closes it.
async fn configured(dir: &Path) -> Paths {
    let paths = Paths::under(dir);
    let pool = db::open_store(&paths, Access::Write).await.unwrap();
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::FileOnly);
    for (location, name) in [
        ("https://cal.example.com/private-TOKEN/basic.ics", "Work"),
        ("/tmp/home.ics", "Home"),
    ] {
        sources::add(
            &pool,
            &secrets,
            NewSource {
                location: location.into(),
                name: Some(name.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    settings::set(&pool, "notify.lead_minutes", "12")
        .await
        .unwrap();
    db::close(&pool).await;
    paths
}

fn damaged_copies(paths: &Paths) -> Vec<String> {
    std::fs::read_dir(&paths.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("calendarbot.sqlite3.damaged-") && !n.ends_with("-wal"))
        .collect()
}

async fn assert_restored(paths: &Paths, pool: &SqlitePool) {
    let names: Vec<String> = sources::list(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["Work", "Home"]);
    assert_eq!(
        settings::get(pool, "notify.lead_minutes").await.unwrap(),
        "12"
    );
    // The credentials are found under the restored rows' keys.
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::FileOnly);
    let work = sources::find(pool, "Work").await.unwrap();
    let resolved = sources::resolve(pool, &secrets, work).await.unwrap();
    assert!(format!("{:?}", resolved.target).contains("cal.example.com"));
    // And a refresh can record its result (every source has its feeds row).
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feeds")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(rows, 2);
    assert_eq!(damaged_copies(paths).len(), 1, "moved aside once");
}

#[tokio::test]
async fn a_zero_byte_database_is_moved_aside_and_the_configuration_restored() {
    let dir = tempfile::tempdir().unwrap();
    let paths = configured(dir.path()).await;
    std::fs::write(paths.database(), b"").unwrap();
    let pool = db::open_store(&paths, Access::Write).await.unwrap();
    assert_restored(&paths, &pool).await;
    db::close(&pool).await;
}

#[tokio::test]
async fn a_garbage_database_is_moved_aside_and_the_configuration_restored() {
    let dir = tempfile::tempdir().unwrap();
    let paths = configured(dir.path()).await;
    std::fs::write(paths.database(), "not a database at all\n".repeat(500)).unwrap();
    // Readers repair too: `agenda` on a damaged file must not fail either.
    let pool = db::open_store(&paths, Access::Read).await.unwrap();
    assert_restored(&paths, &pool).await;
    db::close(&pool).await;
}

#[tokio::test]
async fn a_database_with_a_corrupt_header_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let paths = configured(dir.path()).await;
    let mut bytes = std::fs::read(paths.database()).unwrap();
    bytes[..16].copy_from_slice(b"SQLite format 2\0");
    std::fs::write(paths.database(), bytes).unwrap();
    let pool = db::open_store(&paths, Access::Write).await.unwrap();
    assert_restored(&paths, &pool).await;
    db::close(&pool).await;
}

/// Unreadable for SQLite even as root: the path is a directory.
#[tokio::test]
async fn a_database_that_cannot_be_opened_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let paths = configured(dir.path()).await;
    std::fs::remove_file(paths.database()).unwrap();
    std::fs::create_dir(paths.database()).unwrap();
    let pool = db::open_store(&paths, Access::Write).await.unwrap();
    assert_restored(&paths, &pool).await;
    db::close(&pool).await;
}

#[tokio::test]
async fn without_a_backup_a_damaged_database_starts_empty_but_starts() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    std::fs::write(paths.database(), "garbage").unwrap();
    let pool = db::open_store(&paths, Access::Write).await.unwrap();
    assert!(sources::list(&pool).await.unwrap().is_empty());
    assert_eq!(damaged_copies(&paths).len(), 1);
    db::close(&pool).await;
}

/// The backup follows each change of the sources and the settings, whoever makes it.
#[tokio::test]
async fn the_backup_follows_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let paths = configured(dir.path()).await;
    let backup = paths.config_backup();
    assert!(backup.is_file());
    let pool = db::open_store(&paths, Access::Write).await.unwrap();
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::FileOnly);
    let home = sources::find(&pool, "Home").await.unwrap();
    sources::remove(&pool, &secrets, home.id).await.unwrap();
    let in_backup = || async {
        let bak = SqlitePool::connect(&format!("sqlite://{}?mode=ro", backup.display()))
            .await
            .unwrap();
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM sources ORDER BY id")
            .fetch_all(&bak)
            .await
            .unwrap();
        bak.close().await;
        names
    };
    assert_eq!(in_backup().await, ["Work"], "removal not in the backup");
    // A write the backup code never saw (another tool, another process): the counter
    // the triggers keep still tells the next refresh.
    sqlx::query("UPDATE sources SET name = 'Office' WHERE name = 'Work'")
        .execute(&pool)
        .await
        .unwrap();
    db::refresh_config_backup(&pool).await;
    assert_eq!(in_backup().await, ["Office"]);
    db::close(&pool).await;
}

#[tokio::test]
async fn a_fresh_database_is_never_taken_for_a_damaged_one_by_a_second_opener() {
    // Eight openers of one new directory at once: none moves another's file aside.
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let mut opens = Vec::new();
    for _ in 0..8 {
        let paths = paths.clone();
        opens.push(tokio::spawn(async move {
            let pool = db::open_store(&paths, Access::Write).await.unwrap();
            db::close(&pool).await;
        }));
    }
    for o in opens {
        o.await.unwrap();
    }
    assert!(damaged_copies(&paths).is_empty());
}

/// A small tmpfs, unmounted on drop. Needs root (CI and the dev container run as root).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn remount_read_only(&self) {
        let ok = std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Fills the file system to the last byte.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let mut byte = [0u8; 1];
        while f.write_all(&byte).is_ok() {
            byte[0] += 1;
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.path())
            .status();
    }
}

fn must_mount(size: &str) -> Tmpfs {
    Tmpfs::mount(size).unwrap_or_else(|| {
        panic!(
            "mounting a tmpfs failed: these fault tests need root (uid {})",
            unsafe_uid()
        )
    })
}

fn unsafe_uid() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap_or("?")
        .trim()
        .to_string()
}

#[tokio::test]
async fn on_a_full_disk_readers_read_and_writers_get_one_clear_line() {
    let fs = must_mount("4m");
    let paths = configured(&fs.path().join("data")).await;
    fs.fill();
    let pool = db::open_store(&paths, Access::Read).await.unwrap();
    assert_eq!(sources::list(&pool).await.unwrap().len(), 2);
    db::close(&pool).await;
    let err = db::open_store(&paths, Access::Write).await.unwrap_err();
    assert!(matches!(err, StoreError::Full(_)), "{err:?}");
    let line = err.to_string();
    assert!(line.contains("is full") && !line.contains('\n'), "{line}");
}

#[tokio::test]
async fn on_a_read_only_directory_readers_read_and_writers_get_one_clear_line() {
    let fs = must_mount("8m");
    let paths = configured(&fs.path().join("data")).await;
    fs.remount_read_only();
    let pool = db::open_store(&paths, Access::Read).await.unwrap();
    assert_eq!(sources::list(&pool).await.unwrap().len(), 2);
    db::close(&pool).await;
    let err = db::open_store(&paths, Access::Write).await.unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err:?}");
    let line = err.to_string();
    assert!(
        line.contains("read-only") && !line.contains("cannot create"),
        "{line}"
    );
}
