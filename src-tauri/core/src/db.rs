//! The SQLite database: one pooled, WAL-mode file with embedded migrations.
//!
//! Every write goes through [`begin_immediate`]: a deferred `BEGIN` that reads and then
//! writes fails at once with SQLITE_BUSY when another connection wrote in between (the
//! busy handler is not consulted for that upgrade), while `BEGIN IMMEDIATE` takes the
//! write lock up front and waits for it under `busy_timeout`.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
pub use sqlx::SqlitePool;
use sqlx::{Sqlite, Transaction};

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

/// Starts a write transaction that holds the write lock from its first statement.
pub async fn begin_immediate(
    pool: &SqlitePool,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Checkpoints the WAL into the main file and closes every connection; the last step
/// of a graceful shutdown, so the next start opens a compact, consistent file.
pub async fn close(pool: &SqlitePool) {
    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
    {
        tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
    }
    pool.close().await;
}
