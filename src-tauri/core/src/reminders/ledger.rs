//! The reminder ledger: claimed, fired, snoozed and dismissed state per (source, UID,
//! occurrence, alarm) in SQLite, plus the pause and the processing watermark.
//!
//! Delivery is **exactly once** as far as a process can make it:
//! - a reminder is `claimed` (committed, in a `BEGIN IMMEDIATE` transaction that re-reads
//!   the row) *before* the notification is shown, and becomes `fired` only when the server
//!   answered with an id ([`Ledger::mark_shown`]);
//! - a claimed row is due again: a failed show (connection lost, server gone, a bad
//!   argument) is retried by the next round within seconds, and a crash or restart between
//!   the claim and the answer shows it after the restart;
//! - killed before the claim: nothing was recorded, so the next start shows it (late if
//!   need be);
//! - the one duplicate left: killed after the server answered and before `mark_shown`
//!   committed (a few milliseconds), which we prefer to a lost reminder;
//! - one scheduler per database: the instance lock guarantees it, so re-claiming a
//!   `claimed` row (a [`Claim::retry`]) is always a retry of this process's own claim. Two
//!   writers racing for a new reminder still show it once: the write lock serialises the
//!   claims and the second, not a retry, loses (case 43).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use crate::db;

pub use super::key::LedgerKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerState {
    /// Claimed for showing; not yet answered by the server (retried until it is).
    Claimed,
    Fired,
    Snoozed,
    Dismissed,
}

impl LedgerState {
    fn as_str(self) -> &'static str {
        match self {
            LedgerState::Claimed => "claimed",
            LedgerState::Fired => "fired",
            LedgerState::Snoozed => "snoozed",
            LedgerState::Dismissed => "dismissed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "claimed" => Some(LedgerState::Claimed),
            "fired" => Some(LedgerState::Fired),
            "snoozed" => Some(LedgerState::Snoozed),
            "dismissed" => Some(LedgerState::Dismissed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The occurrence's start when the row was written.
    pub event_start: DateTime<Utc>,
    /// When the row's reminder was due (the alarm, or the end of the snooze claimed).
    pub due: DateTime<Utc>,
    pub state: LedgerState,
    pub snooze_until: Option<DateTime<Utc>>,
}

pub type LedgerView = HashMap<LedgerKey, LedgerEntry>;

/// A reminder the scheduler wants to show: the claim succeeds only if the ledger still
/// says it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: LedgerKey,
    pub event_start: DateTime<Utc>,
    pub due: DateTime<Utc>,
    /// Claiming the end of a snooze (the row must still be that snooze).
    pub snoozed: bool,
    /// Showing again a reminder this scheduler claimed and could not show (the row must
    /// still be `claimed`). A claim that is not a retry loses to a `claimed` row, so two
    /// writers racing for a new reminder still show it once.
    pub retry: bool,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

const PAUSE_KEY: &str = "pause_until";
const WATERMARK_KEY: &str = "watermark";

/// The ledger over the app's pool.
#[derive(Debug, Clone)]
pub struct Ledger {
    pool: SqlitePool,
}

impl Ledger {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Every row, for the planner.
    pub async fn load(&self) -> Result<LedgerView, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT source_id, uid, occurrence, alarm, event_start, due, state, snooze_until FROM reminder_ledger",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut view = HashMap::with_capacity(rows.len());
        for row in rows {
            let Some(state) = LedgerState::parse(row.try_get::<String, _>("state")?.as_str())
            else {
                continue;
            };
            let key = LedgerKey {
                source_id: row.try_get("source_id")?,
                uid: row.try_get("uid")?,
                occurrence: row.try_get("occurrence")?,
                alarm: row.try_get("alarm")?,
            };
            let entry = LedgerEntry {
                event_start: from_ms(row.try_get("event_start")?),
                due: from_ms(row.try_get("due")?),
                state,
                snooze_until: row.try_get::<Option<i64>, _>("snooze_until")?.map(from_ms),
            };
            view.insert(key, entry);
        }
        Ok(view)
    }

    /// Records the claims as `claimed` in one write transaction and returns, per claim,
    /// whether this caller won it (and so must show it). A claim is lost when the row
    /// already says fired or dismissed for the same start, or is a snooze that the claim is
    /// not for; a row still `claimed` is won again by a retry only.
    pub async fn claim(
        &self,
        claims: &[Claim],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, sqlx::Error> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = db::begin_immediate(&self.pool).await?;
        let mut won = Vec::with_capacity(claims.len());
        for c in claims {
            let row: Option<(i64, String)> = sqlx::query_as(
                "SELECT event_start, state FROM reminder_ledger
                 WHERE source_id = ? AND uid = ? AND occurrence = ? AND alarm = ?",
            )
            .bind(c.key.source_id)
            .bind(&c.key.uid)
            .bind(&c.key.occurrence)
            .bind(&c.key.alarm)
            .fetch_optional(&mut *tx)
            .await?;
            let ok = match row {
                None => !c.snoozed,
                Some((start, _)) if start != ms(c.event_start) => !c.snoozed,
                Some((_, state)) if state == "claimed" => c.retry,
                Some((_, state)) => c.snoozed && state == "snoozed",
            };
            if ok {
                sqlx::query(
                    "INSERT INTO reminder_ledger
                       (source_id, uid, occurrence, alarm, event_start, due, state, snooze_until, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, 'claimed', NULL, ?)
                     ON CONFLICT (source_id, uid, occurrence, alarm) DO UPDATE SET
                       event_start = excluded.event_start, due = excluded.due, state = 'claimed',
                       snooze_until = NULL, updated_at = excluded.updated_at",
                )
                .bind(c.key.source_id)
                .bind(&c.key.uid)
                .bind(&c.key.occurrence)
                .bind(&c.key.alarm)
                .bind(ms(c.event_start))
                .bind(ms(c.due))
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            }
            won.push(ok);
        }
        tx.commit().await?;
        Ok(won)
    }

    /// The server answered: these claimed reminders were shown (or are covered by one that
    /// was). Rows no longer `claimed` (dismissed meanwhile) are left alone.
    pub async fn mark_shown(
        &self,
        keys: &[LedgerKey],
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        self.update_claimed(
            keys,
            now,
            "UPDATE reminder_ledger SET state = 'fired', attempts = 0, updated_at = ?
             WHERE source_id = ? AND uid = ? AND occurrence = ? AND alarm = ? AND state = 'claimed'",
        )
        .await
    }

    /// A show of these claimed reminders failed: they stay claimed (and are retried);
    /// the attempt is counted.
    pub async fn mark_failed(
        &self,
        keys: &[LedgerKey],
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        self.update_claimed(
            keys,
            now,
            "UPDATE reminder_ledger SET attempts = attempts + 1, updated_at = ?
             WHERE source_id = ? AND uid = ? AND occurrence = ? AND alarm = ? AND state = 'claimed'",
        )
        .await
    }

    async fn update_claimed(
        &self,
        keys: &[LedgerKey],
        now: DateTime<Utc>,
        sql: &'static str,
    ) -> Result<(), sqlx::Error> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut tx = db::begin_immediate(&self.pool).await?;
        for k in keys {
            sqlx::query(sql)
                .bind(ms(now))
                .bind(k.source_id)
                .bind(&k.uid)
                .bind(&k.occurrence)
                .bind(&k.alarm)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// How many reminders are claimed and not yet shown.
    pub async fn pending(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM reminder_ledger WHERE state = 'claimed'")
            .fetch_one(&self.pool)
            .await
    }

    async fn set_state(
        &self,
        key: &LedgerKey,
        event_start: DateTime<Utc>,
        state: LedgerState,
        snooze_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = db::begin_immediate(&self.pool).await?;
        sqlx::query(
            "INSERT INTO reminder_ledger
               (source_id, uid, occurrence, alarm, event_start, due, state, snooze_until, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (source_id, uid, occurrence, alarm) DO UPDATE SET
               event_start = excluded.event_start, state = excluded.state,
               snooze_until = excluded.snooze_until, updated_at = excluded.updated_at",
        )
        .bind(key.source_id)
        .bind(&key.uid)
        .bind(&key.occurrence)
        .bind(&key.alarm)
        .bind(ms(event_start))
        .bind(ms(now))
        .bind(state.as_str())
        .bind(snooze_until.map(ms))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Snoozes a reminder until `until` (persisted: survives a restart, case 44).
    pub async fn snooze(
        &self,
        key: &LedgerKey,
        event_start: DateTime<Utc>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        self.set_state(key, event_start, LedgerState::Snoozed, Some(until), now)
            .await
    }

    /// Dismisses a reminder: it is not shown again, and any snooze of it is cancelled.
    pub async fn dismiss(
        &self,
        key: &LedgerKey,
        event_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        self.set_state(key, event_start, LedgerState::Dismissed, None, now)
            .await
    }

    /// Records that the user acted on a reminder of this key's occurrence (joined, snoozed
    /// or dismissed it): the planner then skips the reminders that only nag.
    pub async fn acknowledge(
        &self,
        key: &LedgerKey,
        event_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        self.set_state(
            &key.acknowledged(),
            event_start,
            LedgerState::Dismissed,
            None,
            now,
        )
        .await
    }

    /// Deletes rows of occurrences that started before `before` (they can never be due
    /// again), so the table stays small.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        let mut tx = db::begin_immediate(&self.pool).await?;
        let n = sqlx::query("DELETE FROM reminder_ledger WHERE event_start < ? AND (snooze_until IS NULL OR snooze_until < ?)")
            .bind(ms(before))
            .bind(ms(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn get_state(&self, key: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let v: Option<i64> = sqlx::query_scalar("SELECT value FROM reminder_state WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.map(from_ms))
    }

    async fn put_state(&self, key: &str, value: Option<DateTime<Utc>>) -> Result<(), sqlx::Error> {
        let mut tx = db::begin_immediate(&self.pool).await?;
        match value {
            Some(v) => {
                sqlx::query(
                    "INSERT INTO reminder_state (key, value) VALUES (?, ?)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(ms(v))
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM reminder_state WHERE key = ?")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await
    }

    /// Notifications are paused until this instant (persisted).
    pub async fn pause_until(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        self.get_state(PAUSE_KEY).await
    }

    /// Sets (`Some`) or clears (`None`) the pause.
    pub async fn set_pause_until(&self, until: Option<DateTime<Utc>>) -> Result<(), sqlx::Error> {
        self.put_state(PAUSE_KEY, until).await
    }

    /// The instant up to which due reminders were processed, if ever.
    pub async fn watermark(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        self.get_state(WATERMARK_KEY).await
    }

    pub async fn set_watermark(&self, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        self.put_state(WATERMARK_KEY, Some(at)).await
    }
}
