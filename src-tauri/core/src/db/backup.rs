//! The configuration backup: a copy of the `sources` and `settings` tables in
//! `<db stem>-config.sqlite3.bak` beside the database, refreshed when they change, so
//! a damaged database costs the cache (refetched in a minute) but never the user's
//! calendars and settings. Credentials are not in it: they stay in the keyring or the
//! secrets file, filed under keys the restored rows still name.
//!
//! Made by ATTACHing a new file and `CREATE TABLE … AS SELECT` the two tables into it,
//! then renaming it over the old backup (a crash leaves the old one or the new one).
//! Not SQLite's online backup API (`sqlite3_backup_*`, which sqlx does not expose) nor
//! `VACUUM INTO`: both copy the whole database, the cache of every feed and the reminder
//! ledger with it, where only two small tables are wanted.
//!
//! "Changed" is a counter bumped by triggers on both tables (migration 0005), so any
//! writer, in any process, is seen; the backup stores the counter it copied.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row, Sqlite, SqliteConnection, SqlitePool};

/// The tables the backup holds.
pub use crate::paths::config_backup_path;

const TABLES: [&str; 2] = ["sources", "settings"];

/// The file behind the pool's main schema (`None` for an in-memory database).
async fn main_file(pool: &SqlitePool) -> Option<PathBuf> {
    let rows = sqlx::query("PRAGMA database_list")
        .fetch_all(pool)
        .await
        .ok()?;
    rows.iter()
        .find(|r| r.try_get::<String, _>("name").is_ok_and(|n| n == "main"))
        .and_then(|r| r.try_get::<String, _>("file").ok())
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
}

async fn config_version(pool: &SqlitePool) -> Option<i64> {
    sqlx::query_scalar("SELECT n FROM config_changes WHERE id = 1")
        .fetch_one(pool)
        .await
        .ok()
}

async fn backup_version(backup: &Path) -> Option<i64> {
    if !backup.is_file() {
        return None;
    }
    let options = SqliteConnectOptions::new().filename(backup).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options).await.ok()?;
    let v = sqlx::query_scalar("SELECT n FROM meta")
        .fetch_one(&mut conn)
        .await
        .ok();
    let _ = conn.close().await;
    v
}

/// Brings the backup up to date when the configuration changed since it was made.
/// Never fails the caller: a backup that cannot be written is logged (quietly when the
/// disk is full or read-only: the user hears about that from the write itself).
pub async fn refresh_config_backup(pool: &SqlitePool) {
    let Some(db) = main_file(pool).await else {
        return;
    };
    let Some(version) = config_version(pool).await else {
        return;
    };
    let backup = config_backup_path(&db);
    if backup_version(&backup).await == Some(version) {
        return;
    }
    if let Err(e) = write_backup(pool, &backup).await {
        if super::fault_of(&e).is_some() {
            tracing::debug!(error = %e, "configuration backup not written");
        } else {
            tracing::warn!(error = %e, "configuration backup not written");
        }
    }
}

/// A pool connection with `file` attached as `bak`; closed rather than returned to the
/// pool afterwards, so no connection is ever handed out with a stray attachment.
async fn attached(pool: &SqlitePool, file: &Path) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    conn.close_on_drop();
    sqlx::query("ATTACH DATABASE ? AS bak")
        .bind(file.to_string_lossy().into_owned())
        .execute(&mut *conn)
        .await?;
    Ok(conn)
}

async fn write_backup(pool: &SqlitePool, backup: &Path) -> Result<(), sqlx::Error> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    // Unique per writer: two processes refreshing at once never share a file.
    let tmp = backup.with_extension(format!(
        "bak.tmp-{}-{}",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut conn = attached(pool, &tmp).await?;
    // One read snapshot of main for both tables and the counter.
    let mut tx = conn.begin().await?;
    for table in TABLES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE bak.{table} AS SELECT * FROM main.{table}"
        )))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("CREATE TABLE bak.meta AS SELECT n FROM main.config_changes WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let done = tx.commit().await;
    let _ = sqlx::query("DETACH DATABASE bak").execute(&mut *conn).await;
    drop(conn);
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, backup).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        sqlx::Error::Io(e)
    })
}

/// Columns both schemas have, quoted: a backup made before a migration added a column
/// restores into the new schema (the column gets its default).
async fn common_columns(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let names = |schema: &'static str| {
        sqlx::query_scalar::<_, String>("SELECT name FROM pragma_table_info(?, ?)")
            .bind(table.to_string())
            .bind(schema)
    };
    let main: Vec<String> = names("main").fetch_all(&mut *conn).await?;
    let bak: Vec<String> = names("bak").fetch_all(&mut *conn).await?;
    Ok(main
        .into_iter()
        .filter(|c| bak.contains(c))
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect())
}

/// Copies the backup's rows into a fresh database. `Ok(None)`: there is no backup.
pub async fn restore(pool: &SqlitePool, backup: &Path) -> Result<Option<(u64, u64)>, sqlx::Error> {
    if !backup.is_file() {
        return Ok(None);
    }
    let mut conn = attached(pool, backup).await?;
    let result = async {
        let mut counts = Vec::new();
        let mut columns = Vec::new();
        for table in TABLES {
            columns.push(common_columns(&mut conn, table).await?.join(", "));
        }
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        for (table, cols) in TABLES.iter().zip(&columns) {
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT OR IGNORE INTO main.{table} ({cols}) SELECT {cols} FROM bak.{table}"
            )))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            counts.push(n);
        }
        // Every source has its feeds row (refreshes update it in place).
        sqlx::query("INSERT OR IGNORE INTO feeds (source_id) SELECT id FROM sources")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>((counts[0], counts[1]))
    }
    .await;
    let _ = sqlx::query("DETACH DATABASE bak").execute(&mut *conn).await;
    result.map(Some)
}

/// After a damaged database was moved aside and a fresh one opened: restores the
/// configuration and says, in one warning, what happened and what came back.
pub async fn restore_after_damage(pool: &SqlitePool, db: &Path, aside: &Path, reason: &str) {
    let backup = config_backup_path(db);
    let outcome = match restore(pool, &backup).await {
        Ok(Some((sources, settings))) => format!(
            "restored {sources} source(s) and {settings} setting(s) from {}",
            backup.display()
        ),
        Ok(None) => "there was no configuration backup: sources and settings start empty".into(),
        Err(e) => format!(
            "the configuration backup {} could not be read ({e}): sources and settings start empty",
            backup.display()
        ),
    };
    tracing::warn!(
        "the database {} was damaged ({reason}); it was moved to {} and a new one started; {outcome}",
        db.display(),
        aside.display()
    );
}
