//! One instance per data directory. tauri-plugin-single-instance forwards a second
//! launch to the first over D-Bus, but silently does nothing without a session bus;
//! the file lock here holds in every case, so two schedulers never run on one database.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The held lock; released when dropped (or when the process dies, even by kill -9).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Takes the lock, or returns the pid of the running instance (as written in the file).
pub fn acquire(path: &Path) -> std::io::Result<Result<InstanceLock, Option<u32>>> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            writeln!(file, "{}", std::process::id())?;
            file.flush()?;
            Ok(Ok(InstanceLock { _file: file }))
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            Ok(Err(text.trim().parse().ok()))
        }
        Err(TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendarbot.lock");
        let first = acquire(&path).unwrap().unwrap();
        assert_eq!(
            acquire(&path).unwrap().unwrap_err(),
            Some(std::process::id())
        );
        drop(first);
        assert!(acquire(&path).unwrap().is_ok());
    }
}
