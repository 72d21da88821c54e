//! Watching local-file sources (inotify, through the `notify` crate), so a saved file is
//! read again at once and nothing polls while nothing changes.
//!
//! The watch is on each file's directory, not the file: editors and sync tools save by
//! writing a new file and renaming it over the old one, which a watch on the old inode
//! would never report. Only "a write was closed", "created" and "renamed into place"
//! count, so a file is not read half-written. A source whose directory cannot be
//! watched (missing, no permission, inotify limit) is reported back, and the refresh
//! scheduler polls it instead.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

type Files = Arc<Mutex<HashMap<PathBuf, HashSet<i64>>>>;

pub struct FileWatch {
    watcher: Option<RecommendedWatcher>,
    dirs: HashSet<PathBuf>,
    files: Files,
    rx: mpsc::UnboundedReceiver<i64>,
}

impl Default for FileWatch {
    fn default() -> Self {
        Self::new()
    }
}

impl FileWatch {
    /// A watcher with nothing watched yet. Without inotify every source is polled.
    pub fn new() -> Self {
        let files: Files = Arc::default();
        let (tx, rx) = mpsc::unbounded_channel();
        let lookup = files.clone();
        // The callback runs on notify's own thread, blocked in read(2) between events.
        let watcher = notify::recommended_watcher(move |res: notify::Result<Event>| {
            let Ok(event) = res else { return };
            if !is_complete_write(&event.kind) {
                return;
            }
            let files = lookup.lock().unwrap_or_else(|e| e.into_inner());
            for id in event.paths.iter().filter_map(|p| files.get(p)).flatten() {
                let _ = tx.send(*id);
            }
        });
        let watcher = watcher
            .map_err(|e| tracing::warn!(error = %e, "file watching unavailable; polling files"))
            .ok();
        Self {
            watcher,
            dirs: HashSet::new(),
            files,
            rx,
        }
    }

    /// Watches exactly these (source id, file) pairs from now on. Returns the ids that
    /// could not be watched.
    pub fn set(&mut self, sources: &[(i64, PathBuf)]) -> HashSet<i64> {
        let Some(watcher) = self.watcher.as_mut() else {
            return sources.iter().map(|(id, _)| *id).collect();
        };
        let mut files: HashMap<PathBuf, HashSet<i64>> = HashMap::new();
        for (id, path) in sources {
            files.entry(path.clone()).or_default().insert(*id);
        }
        let wanted: HashSet<PathBuf> = files.keys().filter_map(|p| dir_of(p)).collect();
        for gone in self.dirs.difference(&wanted) {
            let _ = watcher.unwatch(gone);
        }
        let mut failed_dirs = HashSet::new();
        for dir in wanted.difference(&self.dirs) {
            if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
                tracing::info!(dir = %dir.display(), error = %e, "cannot watch; polling it");
                failed_dirs.insert(dir.clone());
            }
        }
        self.dirs = wanted.difference(&failed_dirs).cloned().collect();
        let unwatched = sources
            .iter()
            .filter(|(_, p)| dir_of(p).is_none_or(|d| failed_dirs.contains(&d)))
            .map(|(id, _)| *id)
            .collect();
        *self.files.lock().unwrap_or_else(|e| e.into_inner()) = files;
        unwatched
    }

    /// The next source whose file was written, created or renamed into place. Pending
    /// while nothing changes (forever without inotify).
    pub async fn changed(&mut self) -> i64 {
        match self.rx.recv().await {
            Some(id) => id,
            None => std::future::pending().await,
        }
    }
}

fn dir_of(path: &Path) -> Option<PathBuf> {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
}

/// Events after which the file is whole: a closed write, a create (also the target of
/// `mv` from another file system), a rename onto the name. Plain modify events arrive
/// mid-write and are skipped; the closing write follows them.
fn is_complete_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Create(_)
            | EventKind::Modify(ModifyKind::Name(
                RenameMode::To | RenameMode::Both | RenameMode::Any
            ))
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    async fn next(w: &mut FileWatch) -> Option<i64> {
        tokio::time::timeout(Duration::from_secs(3), w.changed())
            .await
            .ok()
    }

    #[tokio::test]
    async fn a_write_and_an_atomic_rename_are_both_seen() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.ics");
        let other = dir.path().join("other.ics");
        std::fs::write(&feed, "old").unwrap();
        let mut w = FileWatch::new();
        assert!(w.set(&[(7, feed.clone())]).is_empty());

        std::fs::write(&other, "not watched").unwrap();
        std::fs::write(&feed, "new").unwrap();
        assert_eq!(next(&mut w).await, Some(7));
        while tokio::time::timeout(Duration::from_millis(200), w.changed())
            .await
            .is_ok()
        {}

        // How editors save: write a temporary file, rename it over the feed.
        let tmp = dir.path().join(".feed.ics.swp");
        std::fs::write(&tmp, "newer").unwrap();
        std::fs::rename(&tmp, &feed).unwrap();
        assert_eq!(next(&mut w).await, Some(7));
    }

    #[tokio::test]
    async fn unwatchable_sources_are_returned_and_removed_ones_fall_silent() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.ics");
        let mut w = FileWatch::new();
        let missing = PathBuf::from("/nonexistent-calendarbot-dir/feed.ics");
        let unwatched = w.set(&[(1, feed.clone()), (2, missing)]);
        assert_eq!(unwatched, HashSet::from([2]));

        assert!(w.set(&[]).is_empty());
        std::fs::write(&feed, "x").unwrap();
        assert_eq!(
            tokio::time::timeout(Duration::from_millis(300), w.changed())
                .await
                .ok(),
            None
        );
    }
}
