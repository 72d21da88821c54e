//! Changes made by another process (`calendarbot sources add`, `settings set`, another
//! copy's window) reach the running app within a moment, without polling.
//!
//! An inotify watch (the `notify` crate) on the data directory reports writes to the
//! database and its WAL. Each burst of them, once quiet for [`SETTLE`], is checked
//! against a fingerprint of the configuration tables (sources, settings, CalDAV
//! calendars): only a changed fingerprint is a change. The app's own cache writes touch
//! the WAL too and so cost one small query per burst, nothing more. Without inotify
//! (limits reached, an unusual file system) nothing is watched and the app sees such
//! changes at its next refresh round, as before.

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsString;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::Duration;

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use sqlx::SqlitePool;
use tokio::sync::mpsc;

/// How long the database must be quiet before a burst of writes is looked at: a
/// `sources add` is several statements, and a refresh round many.
pub const SETTLE: Duration = Duration::from_millis(300);

/// Writes to one database file (and its `-wal`, `-journal`), as a stream of wake-ups.
pub struct DbWatch {
    rx: mpsc::UnboundedReceiver<()>,
    _watcher: Option<RecommendedWatcher>,
}

impl DbWatch {
    pub fn new(database: &Path) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let watcher = Self::watch(database, tx)
            .map_err(|e| tracing::info!(error = %e, "database not watched; outside changes are seen at the next refresh"))
            .ok();
        Self {
            rx,
            _watcher: watcher,
        }
    }

    fn watch(database: &Path, tx: mpsc::UnboundedSender<()>) -> notify::Result<RecommendedWatcher> {
        let dir = database
            .parent()
            .ok_or_else(|| notify::Error::generic("the database has no directory"))?;
        let name: OsString = database.file_name().unwrap_or_default().to_os_string();
        // The callback runs on notify's thread; it only forwards the wake-up.
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<Event>| {
            let Ok(event) = res else { return };
            if !matches!(event.kind, EventKind::Modify(_) | EventKind::Create(_)) {
                return;
            }
            let ours = event.paths.iter().any(|p| {
                p.file_name()
                    .is_some_and(|f| f.as_encoded_bytes().starts_with(name.as_encoded_bytes()))
            });
            if ours {
                let _ = tx.send(());
            }
        })?;
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
        Ok(watcher)
    }

    /// Waits for the next write, then until the writes have settled. Pending forever
    /// when nothing is watched.
    pub async fn settled(&mut self) {
        if self.rx.recv().await.is_none() {
            return std::future::pending().await;
        }
        while let Ok(Some(())) = tokio::time::timeout(SETTLE, self.rx.recv()).await {}
    }
}

/// Hashes of what the user configured: the sources (without their cache) with their
/// CalDAV calendars, and the settings with the hide rules (`calendarbot hide` reaches
/// the running app like `settings set`). Equal hashes, same configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub sources: u64,
    pub settings: u64,
}

pub async fn fingerprint(pool: &SqlitePool) -> Result<Fingerprint, sqlx::Error> {
    // One row of text per table, built by SQLite: the tables are small (tens of rows).
    let (sources, settings, caldav): (String, String, String) = sqlx::query_as(
        "SELECT \
           (SELECT IFNULL(group_concat(row, char(10)), '') FROM (SELECT id || '|' || name || '|' || kind \
              || '|' || IFNULL(color, '') || '|' || enabled || '|' || IFNULL(interval_minutes, '') \
              || '|' || muted || '|' || IFNULL(lead_minutes, '') || '|' || auth_kind AS row \
              FROM sources ORDER BY id)), \
           (SELECT IFNULL(group_concat(row, char(10)), '') FROM (SELECT key || '=' || value AS row \
              FROM settings ORDER BY key)) || char(30) \
             || (SELECT IFNULL(group_concat(id, ','), '') FROM (SELECT id FROM hidden ORDER BY id)), \
           (SELECT IFNULL(group_concat(source_id), '') FROM (SELECT source_id FROM caldav_calendars \
              ORDER BY source_id))",
    )
    .fetch_one(pool)
    .await?;
    let hash = |parts: &[&str]| {
        let mut h = DefaultHasher::new();
        parts.hash(&mut h);
        h.finish()
    };
    Ok(Fingerprint {
        sources: hash(&[&sources, &caldav]),
        settings: hash(&[&settings]),
    })
}

/// What changed since the configuration was last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A source was added, removed or edited (it may need fetching).
    Sources,
    /// Only settings.
    Settings,
}

/// The configuration as last seen, and the watch that says when to look again.
pub struct ConfigWatch {
    pool: SqlitePool,
    watch: DbWatch,
    last: Option<Fingerprint>,
}

impl ConfigWatch {
    /// Watches from now on: a change committed after this returns is reported.
    pub async fn start(pool: SqlitePool, database: &Path) -> Self {
        let watch = DbWatch::new(database);
        let last = fingerprint(&pool).await.ok();
        Self { pool, watch, last }
    }

    /// Returns what changed when the configuration differs from what it was. Errors
    /// (a locked or damaged database) are logged and the watch goes on: the next
    /// write tries again.
    pub async fn changed(&mut self) -> Change {
        loop {
            self.watch.settled().await;
            match fingerprint(&self.pool).await {
                Ok(now) if Some(now) != self.last => {
                    let sources = self.last.is_none_or(|l| l.sources != now.sources);
                    self.last = Some(now);
                    tracing::info!("configuration changed outside the app; applying it");
                    return if sources {
                        Change::Sources
                    } else {
                        Change::Settings
                    };
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the configuration to compare"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_by_another_connection_is_seen_and_cache_writes_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendarbot.sqlite3");
        let app = crate::db::open(&path).await.unwrap();
        let other = crate::db::open(&path).await.unwrap();
        let mut watch = ConfigWatch::start(app, &path).await;

        crate::settings::set(&other, "notify.lead_minutes", "12")
            .await
            .unwrap();
        let change = tokio::time::timeout(Duration::from_secs(5), watch.changed())
            .await
            .expect("the setting changed by another connection is seen");
        assert_eq!(change, Change::Settings);

        // A write outside the configuration tables (what a refresh does) is no change.
        sqlx::query("CREATE TABLE scratch (x)")
            .execute(&other)
            .await
            .unwrap();
        sqlx::query("INSERT INTO scratch VALUES (1)")
            .execute(&other)
            .await
            .unwrap();
        assert!(
            tokio::time::timeout(SETTLE * 4, watch.changed())
                .await
                .is_err(),
            "a cache write counted as a configuration change"
        );

        // And the next real change is seen again.
        crate::settings::set(&other, "notify.lead_minutes", "13")
            .await
            .unwrap();
        let change = tokio::time::timeout(Duration::from_secs(5), watch.changed())
            .await
            .expect("the second change is seen");
        assert_eq!(change, Change::Settings);

        // A source added by another connection is a change of the sources.
        let secrets = crate::secrets::SecretStore::open(
            &dir.path().join("secrets.json"),
            crate::secrets::Preference::FileOnly,
        );
        let new = crate::sources::NewSource {
            location: dir.path().join("team.ics").display().to_string(),
            ..Default::default()
        };
        crate::sources::add(&other, &secrets, new).await.unwrap();
        let change = tokio::time::timeout(Duration::from_secs(5), watch.changed())
            .await
            .expect("the added source is seen");
        assert_eq!(change, Change::Sources);
    }
}
