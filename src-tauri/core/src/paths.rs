//! Where the app keeps its files.
//!
//! `--data-dir DIR` (or `CALENDARBOT_DATA_DIR`) puts every file under DIR: the
//! database, the logs, the lock and the secrets fallback. Otherwise the XDG base
//! directories are used: data (database, secrets) in `$XDG_DATA_HOME/calendarbot`,
//! logs in `$XDG_STATE_HOME/calendarbot/logs`, the lock in the data directory (not in
//! `$XDG_RUNTIME_DIR`, which does not exist without a login session).

use std::io;
use std::path::{Path, PathBuf};

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

    /// Creates the directories (0700: the database can hold feed credentials).
    pub fn create(&self) -> io::Result<()> {
        for dir in [&self.data_dir, &self.log_dir] {
            std::fs::create_dir_all(dir)?;
            set_private(dir)?;
        }
        Ok(())
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

#[cfg(unix)]
fn set_private(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn set_private(_dir: &Path) -> io::Result<()> {
    Ok(())
}
