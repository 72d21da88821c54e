//! Telling a damaged database from a platform fault, and moving it aside.
//!
//! Damage is what no retry fixes: an empty file where a database was (a crash of a
//! tool, a full disk at the wrong moment, a careless `> file`), bytes that are not a
//! database, a corrupt one, or one that cannot be opened at all. The file goes aside as
//! `calendarbot.sqlite3.damaged-<UTC time>` (with its `-wal`), never deleted: the user
//! or a support session may still want it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::paths::{classify, IoFault};

const SQLITE_CORRUPT: i32 = 11;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;
const SQLITE_IOERR: i32 = 10;

/// Damage visible without opening the file: a zero-byte database or a path that is
/// not a regular file. A new database is never empty once opened (setting WAL mode
/// writes its header), and [`OpenLock`] keeps a second opener from seeing one that is
/// being created.
pub fn check_file(db: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(db).ok()?;
    if meta.is_dir() {
        Some("it is a directory, not a file".into())
    } else if meta.is_file() && meta.len() == 0 {
        Some("it is empty (0 bytes)".into())
    } else {
        None
    }
}

/// The damage an open failed on, in words, or `None` for any other failure.
pub fn damage_of(db: &Path, e: &sqlx::Error) -> Option<String> {
    if !db.exists() {
        return None;
    }
    match super::sqlite_code(e)? {
        SQLITE_NOTADB => Some("the file is not a database".into()),
        SQLITE_CORRUPT => Some("the database is corrupt".into()),
        SQLITE_CANTOPEN | SQLITE_IOERR => Some("the file cannot be read".into()),
        _ => None,
    }
}

/// Whether the directory can take a new file: a probe of one byte, so a full disk
/// shows (an empty file needs no block) as well as a read-only one.
pub fn dir_fault(dir: &Path) -> Option<IoFault> {
    let probe = dir.join(format!(".calendarbot-probe-{}", std::process::id()));
    let result = File::create(&probe).and_then(|mut f| {
        f.write_all(b"x")?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    result.err().as_ref().and_then(classify)
}

/// True when the database has no WAL with commits in it (absent or empty).
pub fn wal_is_empty(db: &Path) -> bool {
    !std::fs::metadata(sidecar(db, "-wal")).is_ok_and(|m| m.len() > 0)
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Moves the damaged database (and its WAL) aside and drops its WAL index. Returns
/// where it went (the caller says so, with what it restored, in one warning).
pub fn move_aside(db: &Path) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut aside = sidecar(db, &format!(".damaged-{stamp}"));
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = sidecar(db, &format!(".damaged-{stamp}-{n}"));
    }
    std::fs::rename(db, &aside)?;
    // The WAL belongs to the damaged file: keep it beside it, under the name SQLite
    // would look for, so the copy can still be inspected whole.
    let wal = sidecar(db, "-wal");
    if wal.exists() {
        let _ = std::fs::rename(&wal, sidecar(&aside, "-wal"));
    }
    let _ = std::fs::remove_file(sidecar(db, "-shm"));
    Ok(aside)
}

/// An exclusive lock on `<db>.open-lock` for the time of the damage check and the
/// first open. Best effort: where the lock file cannot be made (read-only, full) no
/// database is being created either.
pub struct OpenLock(Option<File>);

impl OpenLock {
    pub fn take(db: &Path) -> Self {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(sidecar(db, ".open-lock"))
            .ok()
            .filter(|f| f.lock().is_ok());
        Self(file)
    }
}

impl Drop for OpenLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}
