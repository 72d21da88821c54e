//! Whether reminders reach the user: the one place that says "notifications are failing".
//!
//! The running scheduler records a failed show ([`record_failure`]) and the next success
//! ([`record_ok`]) in SQLite, writing only when the state changes; `calendarbot status`
//! and the tray read it with [`read`], together with the number of reminders claimed and
//! not yet shown (they are being retried).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;

use crate::db;

/// The notification path's health as last recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyHealth {
    /// Since when shows have been failing (None: the last one worked, or none was tried).
    pub failing_since: Option<DateTime<Utc>>,
    /// The last failure, in words (kept after a recovery, for diagnostics).
    pub last_error: Option<String>,
    /// When a notification was last shown.
    pub last_ok: Option<DateTime<Utc>>,
    /// Reminders claimed and not yet shown: being retried.
    pub pending: i64,
}

impl NotifyHealth {
    /// One line for the health line and `status`, or None when all is well.
    pub fn problem(&self) -> Option<String> {
        let since = self.failing_since?;
        let error = self.last_error.as_deref().unwrap_or("unknown error");
        let waiting = match self.pending {
            0 => String::new(),
            1 => "; 1 reminder waiting to be shown".into(),
            n => format!("; {n} reminders waiting to be shown"),
        };
        Some(format!(
            "notifications are failing since {} ({error}){waiting}",
            since.format("%H:%M:%S UTC")
        ))
    }
}

fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Reads the recorded health and the pending count.
pub async fn read(pool: &SqlitePool) -> Result<NotifyHealth, sqlx::Error> {
    let row: Option<(Option<i64>, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT failing_since, last_error, last_ok FROM notifier_health WHERE id = 1",
    )
    .fetch_optional(pool)
    .await?;
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM reminder_ledger WHERE state = 'claimed'")
            .fetch_one(pool)
            .await?;
    let (failing_since, last_error, last_ok) = row.unwrap_or_default();
    Ok(NotifyHealth {
        failing_since: failing_since.map(from_ms),
        last_error,
        last_ok: last_ok.map(from_ms),
        pending,
    })
}

/// A show failed at `now`: failing from now unless it already was.
pub async fn record_failure(
    pool: &SqlitePool,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = db::begin_immediate(pool).await?;
    sqlx::query(
        "INSERT INTO notifier_health (id, failing_since, last_error, last_ok, updated_at)
         VALUES (1, ?, ?, NULL, ?)
         ON CONFLICT (id) DO UPDATE SET
           failing_since = COALESCE(failing_since, excluded.failing_since),
           last_error = excluded.last_error, updated_at = excluded.updated_at",
    )
    .bind(now.timestamp_millis())
    .bind(error)
    .bind(now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A show worked at `now`: no longer failing.
pub async fn record_ok(pool: &SqlitePool, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = db::begin_immediate(pool).await?;
    sqlx::query(
        "INSERT INTO notifier_health (id, failing_since, last_error, last_ok, updated_at)
         VALUES (1, NULL, NULL, ?, ?)
         ON CONFLICT (id) DO UPDATE SET
           failing_since = NULL, last_ok = excluded.last_ok, updated_at = excluded.updated_at",
    )
    .bind(now.timestamp_millis())
    .bind(now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
