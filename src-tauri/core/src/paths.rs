//! Where the app keeps its files.
//!
//! `--data-dir DIR` (or `CALENDARBOT_DATA_DIR`) puts every file under DIR: the
//! database, the logs, the lock and the secrets fallback. Otherwise the XDG base
//! directories are used: data (database, secrets) in `$XDG_DATA_HOME/calendarbot`,
//! logs in `$XDG_STATE_HOME/calendarbot/logs`, the lock in the data directory (not in
//! `$XDG_RUNTIME_DIR`, which does not exist without a login session).
//!
//! The program is two binaries side by side: [`COMMAND_BINARY`], what users run (every
//! subcommand, without Tauri in the process), and [`APP_BINARY`], the tray app it starts
//! when there is no subcommand.

use std::io;
use std::path::{Path, PathBuf};

/// The command users run: the CLI, and the launcher of the tray app.
pub const COMMAND_BINARY: &str = "calendarbot";
/// The tray app (Tauri, GTK, WebKit), started by [`COMMAND_BINARY`].
pub const APP_BINARY: &str = "calendarbot-app";

/// The path of `name` (one of the two binaries) in the running binary's directory.
pub fn sibling_binary(name: &str) -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
}

/// The resolved locations of the app's files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// Everything under one directory (the `--data-dir` case and tests).
    pub fn under(dir: impl Into<PathBuf>) -> Self {
        let data_dir = dir.into();
        let log_dir = data_dir.join("logs");
        Self { data_dir, log_dir }
    }

    /// The XDG locations of the current user.
    pub fn xdg() -> io::Result<Self> {
        let data = dirs::data_dir().ok_or_else(|| no_home("XDG_DATA_HOME"))?;
        let state = dirs::state_dir().unwrap_or_else(|| data.clone());
        Ok(Self {
            data_dir: data.join("calendarbot"),
            log_dir: state.join("calendarbot").join("logs"),
        })
    }

    /// `--data-dir` when given, else the XDG locations.
    pub fn resolve(data_dir: Option<&Path>) -> io::Result<Self> {
        match data_dir {
            Some(dir) => Ok(Self::under(dir)),
            None => Self::xdg(),
        }
    }

    /// Creates the directories that are missing, each created one 0700 (the database
    /// can hold feed credentials). A directory that already exists is left exactly as
    /// it is: `--data-dir /tmp/shared` must not take the sticky bit off a 1777 directory,
    /// nor lock out whoever else uses it. Errors are one line in words
    /// ([`DirError`], wrapped in the `io::Error` so its kind stays testable): a
    /// read-only file system and a full disk are named as such.
    pub fn create(&self) -> io::Result<()> {
        self.create_data_dir()?;
        create_private(&self.log_dir).map_err(|e| DirError::wrap(&self.log_dir, e))
    }

    /// Creates only the data directory (the command line writes no logs).
    pub fn create_data_dir(&self) -> io::Result<()> {
        create_private(&self.data_dir).map_err(|e| DirError::wrap(&self.data_dir, e))
    }

    /// The small copy of the sources and settings tables the app keeps beside the
    /// database, so a damaged database does not lose the user's configuration (see
    /// [`crate::db`]).
    pub fn config_backup(&self) -> PathBuf {
        config_backup_path(&self.database())
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("calendarbot.sqlite3")
    }

    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("calendarbot.lock")
    }

    /// The running app's task report, for `calendarbot status` (see `monitor::Snapshot`).
    pub fn runtime_status(&self) -> PathBuf {
        self.data_dir.join("runtime.json")
    }

    pub fn secrets_file(&self) -> PathBuf {
        self.data_dir.join("secrets.json")
    }
}

fn no_home(var: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("cannot find the home directory ({var} and HOME unset); pass --data-dir"),
    )
}

/// What went wrong with a directory, said once, in words.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error("the data directory {0} is on a read-only file system or not writable; pass --data-dir to use another")]
    ReadOnly(String),
    #[error("the disk holding {0} is full; free some space and try again")]
    Full(String),
    #[error("cannot create {path}: {source}")]
    Other { path: String, source: io::Error },
}

impl DirError {
    fn wrap(dir: &Path, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), DirError::new(dir, e))
    }

    fn new(dir: &Path, e: io::Error) -> Self {
        let path = dir.display().to_string();
        match classify(&e) {
            Some(IoFault::ReadOnly) => DirError::ReadOnly(path),
            Some(IoFault::Full) => DirError::Full(path),
            None => DirError::Other { path, source: e },
        }
    }
}

/// The two faults of the platform a user can act on, told apart from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoFault {
    /// EROFS, or EACCES/EPERM on a directory the user cannot write.
    ReadOnly,
    /// ENOSPC or EDQUOT.
    Full,
}

/// Which fault an I/O error is, if one of the two.
pub fn classify(e: &io::Error) -> Option<IoFault> {
    match e.kind() {
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => {
            Some(IoFault::ReadOnly)
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Some(IoFault::Full),
        _ => None,
    }
}

/// `mkdir -p` where each directory made is 0700 (the mode is given to mkdir itself, so
/// it is never wider even for a moment) and existing ones are not touched.
#[cfg(unix)]
fn create_private(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// `calendarbot.sqlite3` → `calendarbot-config.sqlite3.bak`, in the same directory.
pub fn config_backup_path(db: &Path) -> PathBuf {
    let stem = db.file_stem().map_or_else(
        || "calendarbot".into(),
        |s| s.to_string_lossy().into_owned(),
    );
    db.with_file_name(format!("{stem}-config.sqlite3.bak"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn an_existing_directory_keeps_its_mode_and_a_new_one_is_0700() {
        let root = tempfile::tempdir().unwrap();
        let shared = root.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let paths = Paths::under(&shared);
        paths.create().unwrap();
        assert_eq!(mode(&shared), 0o1777, "the sticky bit was taken off");
        assert_eq!(mode(&paths.log_dir), 0o700);

        let fresh = Paths::under(root.path().join("a").join("b"));
        fresh.create().unwrap();
        assert_eq!(mode(&fresh.data_dir), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700);
    }

    #[test]
    fn a_directory_that_cannot_be_made_says_why_once() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("file");
        std::fs::write(&file, "").unwrap();
        let e = Paths::under(file.join("sub")).create().unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("cannot create "), "{text}");
        assert_eq!(text.matches("cannot create").count(), 1, "{text}");
    }

    #[test]
    fn faults_are_named_in_words() {
        let ro = DirError::new(
            Path::new("/x"),
            io::Error::from(io::ErrorKind::ReadOnlyFilesystem),
        );
        assert!(ro.to_string().contains("read-only"), "{ro}");
        let full = DirError::new(Path::new("/x"), io::Error::from_raw_os_error(28));
        assert!(full.to_string().contains("is full"), "{full}");
    }
}
