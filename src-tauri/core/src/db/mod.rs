//! The SQLite database: one pooled, WAL-mode file with embedded migrations.
//!
//! Every write goes through [`begin_immediate`]: a deferred `BEGIN` that reads and then
//! writes fails at once with SQLITE_BUSY when another connection wrote in between (the
//! busy handler is not consulted for that upgrade), while `BEGIN IMMEDIATE` takes the
//! write lock up front and waits for it under `busy_timeout`.
//!
//! The app and the command line open it through [`open_store`], which survives the
//! platform's faults: a damaged file is moved aside and the configuration restored from
//! the small backup kept beside it ([`backup`], [`repair`]); a read-only directory or a
//! full disk is said in one line, and read-only commands still read the cache then.

pub mod backup;
pub mod repair;

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
pub use sqlx::SqlitePool;
use sqlx::{Sqlite, Transaction};

pub use backup::{config_backup_path, refresh_config_backup};

use crate::paths::{IoFault, Paths};

/// How long a connection waits for the write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);
/// Readers are concurrent under WAL; writes serialise on the file lock anyway, so a
/// small pool is enough for the tray, the window, the writer and the scheduler.
const MAX_CONNECTIONS: u32 = 4;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if needed) the database at `path` and applies the migrations.
pub async fn open(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across application crashes under WAL; only a power loss
        // can lose the last commits, never corrupt the file.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(1)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Opens an existing database for reading only: no migrations, no journal-mode change.
/// `immutable` also skips the WAL index (`-shm`), which SQLite must otherwise create
/// and which a full disk refuses; only safe when no WAL holds commits (see
/// [`open_store`]).
async fn open_read_only(path: &Path, immutable: bool) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(immutable)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .connect_with(options)
        .await?;
    // Connecting is lazy about the file: read the schema now so a fault shows here.
    sqlx::query("SELECT COUNT(*) FROM sqlite_schema")
        .execute(&pool)
        .await?;
    Ok(pool)
}

/// True when every embedded migration is applied (a read-only open must not need one).
async fn migrations_current(pool: &SqlitePool) -> bool {
    let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await;
    matches!(applied, Ok(Some(v)) if v >= latest)
}

/// What a command needs of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads (`agenda`, `next`, `status`): works on a full disk or a read-only
    /// directory as long as the database exists and is up to date.
    Read,
    /// Reads and writes (the app, `sync`, `sources`, `settings`).
    Write,
}

/// Why the database could not be opened, in one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory could not be created (its message names the fault).
    #[error("{0}")]
    Dir(std::io::Error),
    #[error("the data directory {0} is read-only, so changes cannot be saved; pass --data-dir to use another")]
    ReadOnly(String),
    #[error(
        "the disk holding {0} is full, so changes cannot be saved; free some space and try again"
    )]
    Full(String),
    #[error("the database {path} is damaged ({reason}) and could not be moved aside: {error}")]
    Damaged {
        path: String,
        reason: String,
        error: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The primary SQLite result code of an error, looking through migration errors.
pub fn sqlite_code(e: &sqlx::Error) -> Option<i32> {
    match e {
        sqlx::Error::Database(d) => d.code()?.parse::<i32>().ok().map(|c| c & 0xff),
        sqlx::Error::Migrate(m) => match m.as_ref() {
            sqlx::migrate::MigrateError::Execute(e)
            | sqlx::migrate::MigrateError::ExecuteMigration(e, _) => sqlite_code(e),
            _ => None,
        },
        _ => None,
    }
}

const SQLITE_READONLY: i32 = 8;
const SQLITE_FULL: i32 = 13;

/// The fault an open or a write hit, if it is one the user can act on.
pub fn fault_of(e: &sqlx::Error) -> Option<IoFault> {
    match sqlite_code(e) {
        Some(SQLITE_FULL) => Some(IoFault::Full),
        Some(SQLITE_READONLY) => Some(IoFault::ReadOnly),
        _ => match e {
            sqlx::Error::Io(io) => crate::paths::classify(io),
            _ => None,
        },
    }
}

/// Opens the app's database for `access`, surviving the platform's faults:
/// - a damaged file (empty, not a database, corrupt, unopenable) is moved aside with
///   one warning, and a fresh one gets the sources and settings back from the backup;
/// - a read-only directory or a full disk is one clear error for writers, while
///   readers open the existing file read-only (without migrations or writes);
/// - the configuration backup is refreshed when it is behind.
pub async fn open_store(paths: &Paths, access: Access) -> Result<SqlitePool, StoreError> {
    let db = paths.database();
    if access == Access::Read {
        if let Some(pool) = try_read_only(&db).await {
            return Ok(pool);
        }
    }
    paths.create_data_dir().map_err(StoreError::Dir)?;
    let dir = paths.data_dir.display().to_string();
    let fault_error = |fault| match fault {
        IoFault::ReadOnly => StoreError::ReadOnly(dir.clone()),
        IoFault::Full => StoreError::Full(dir.clone()),
    };
    // One opener at a time decides whether the file is damaged: a second process must
    // not take the zero-byte file another is creating for a damaged one.
    // Waiting for it blocks a thread: on the blocking pool, not an async worker.
    let lock_path = db.clone();
    let _guard = tokio::task::spawn_blocking(move || repair::OpenLock::take(&lock_path))
        .await
        .ok();
    let mut damage = repair::check_file(&db);
    let pool = loop {
        if let Some(reason) = damage.take() {
            if let Some(fault) = repair::dir_fault(&paths.data_dir) {
                return Err(fault_error(fault));
            }
            let aside = repair::move_aside(&db).map_err(|error| StoreError::Damaged {
                path: db.display().to_string(),
                reason: reason.clone(),
                error,
            })?;
            let pool = open(&db).await?;
            backup::restore_after_damage(&pool, &db, &aside, &reason).await;
            break pool;
        }
        match open(&db).await {
            Ok(pool) => break pool,
            Err(e) => {
                if let Some(fault) = fault_of(&e).or_else(|| repair::dir_fault(&paths.data_dir)) {
                    if access == Access::Read {
                        if let Some(pool) = try_read_only(&db).await {
                            return Ok(pool);
                        }
                    }
                    return Err(fault_error(fault));
                }
                match repair::damage_of(&db, &e) {
                    Some(reason) => damage = Some(reason),
                    None => return Err(StoreError::Db(e)),
                }
            }
        }
    };
    refresh_config_backup(&pool).await;
    Ok(pool)
}

/// A read-only pool on an existing, up-to-date database, or `None` (then the caller
/// opens it for writing, which creates, migrates or repairs it).
async fn try_read_only(db: &Path) -> Option<SqlitePool> {
    if !std::fs::metadata(db).is_ok_and(|m| m.is_file() && m.len() > 0) {
        return None;
    }
    let pool = match open_read_only(db, false).await {
        Ok(pool) => pool,
        // A full disk (or a read-only directory) cannot take the WAL index a reader
        // needs. With no WAL holding commits (the app checkpoints at exit), the main
        // file is the whole truth: read it as immutable.
        Err(_) if repair::wal_is_empty(db) => open_read_only(db, true).await.ok()?,
        Err(_) => return None,
    };
    if migrations_current(&pool).await {
        Some(pool)
    } else {
        pool.close().await;
        None
    }
}

/// Starts a write transaction that holds the write lock from its first statement.
pub async fn begin_immediate(
    pool: &SqlitePool,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Checkpoints the WAL into the main file and closes every connection; the last step
/// of a graceful shutdown, so the next start opens a compact, consistent file. The
/// configuration backup is brought up to date first (a setting changed since).
pub async fn close(pool: &SqlitePool) {
    refresh_config_backup(pool).await;
    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
    {
        // A read-only pool cannot checkpoint; that is expected, not worth a warning.
        if fault_of(&e).is_none() {
            tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
        }
    }
    pool.close().await;
}
