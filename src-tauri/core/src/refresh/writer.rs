//! The one cache writer: batches producers' messages (≤ [`cache::BATCH_ROWS`] rows or a
//! short flush interval), each batch one `BEGIN IMMEDIATE` transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::cache::{self, CacheError, StatusUpdate};
use crate::db;
use crate::fetch::Validators;
use crate::ics::Calendar;

pub(super) enum WriteOp {
    Calendar {
        calendar: Calendar,
        validators: Validators,
        at: DateTime<Utc>,
    },
    Status(StatusUpdate),
}

pub(super) struct WriteMsg {
    pub(super) source_id: i64,
    pub(super) op: WriteOp,
    pub(super) ack: oneshot::Sender<Result<(), String>>,
}

impl WriteMsg {
    fn rows(&self) -> usize {
        match &self.op {
            WriteOp::Calendar { calendar, .. } => calendar.events.len() + 1,
            WriteOp::Status(_) => 1,
        }
    }
}

/// Generation counters bumped after cache commits; watchers wake on them.
#[derive(Clone, Default)]
pub(super) struct Changes {
    /// Events changed: the agenda rebuilds.
    pub(super) events: watch::Sender<u64>,
    /// Anything was written (health at least): the tray re-reads source health.
    pub(super) health: watch::Sender<u64>,
}

impl Changes {
    pub(super) fn committed(&self, events: bool) {
        if events {
            self.events.send_modify(|g| *g += 1);
        }
        self.health.send_modify(|g| *g += 1);
    }
}

pub(super) enum WriteFailure {
    Cancelled,
    Db(String),
}

pub(super) async fn writer_loop(
    pool: SqlitePool,
    mut rx: mpsc::Receiver<WriteMsg>,
    cancel: CancellationToken,
    flush_interval: Duration,
    changes: Changes,
) {
    let mut pending: Vec<WriteMsg> = Vec::new();
    let mut rows = 0usize;
    let mut deadline = tokio::time::Instant::now();
    loop {
        let msg = if pending.is_empty() {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                m = rx.recv() => m,
            }
        } else {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                m = rx.recv() => m,
                _ = tokio::time::sleep_until(deadline) => {
                    flush(&pool, std::mem::take(&mut pending), &changes).await;
                    rows = 0;
                    continue;
                }
            }
        };
        let Some(msg) = msg else { break };
        if pending.is_empty() {
            deadline = tokio::time::Instant::now() + flush_interval;
        }
        rows += msg.rows();
        pending.push(msg);
        if rows >= cache::BATCH_ROWS {
            flush(&pool, std::mem::take(&mut pending), &changes).await;
            rows = 0;
        }
    }
    // Cancelled or every producer gone: write what is held (whole), then stop.
    // Messages still queued belong to producers that were cancelled.
    if !pending.is_empty() {
        flush(&pool, pending, &changes).await;
    }
    tracing::debug!("cache writer stopped");
}

/// Writes a batch in one IMMEDIATE transaction; if that fails, each message alone, so
/// one bad write does not lose the others.
async fn flush(pool: &SqlitePool, batch: Vec<WriteMsg>, changes: &Changes) {
    let has_events = batch
        .iter()
        .any(|m| matches!(m.op, WriteOp::Calendar { .. }));
    match write_batch(pool, &batch).await {
        Ok(()) => {
            for m in batch {
                let _ = m.ack.send(Ok(()));
            }
            changes.committed(has_events);
        }
        Err(e) if batch.len() > 1 => {
            tracing::warn!(error = %e, "batch write failed; writing one by one");
            let mut events = false;
            for m in batch {
                let r = write_batch(pool, std::slice::from_ref(&m)).await;
                events |= r.is_ok() && matches!(m.op, WriteOp::Calendar { .. });
                let _ = m.ack.send(r.map_err(|e| db_message(&e)));
            }
            changes.committed(events);
        }
        Err(e) => {
            tracing::error!(error = %e, "cache write failed");
            for m in batch {
                let _ = m.ack.send(Err(db_message(&e)));
            }
        }
    }
}

fn db_message(e: &CacheError) -> String {
    // Database errors hold no feed URL; keep them short for the UI.
    format!("the cache could not be written: {e}")
}

async fn write_batch(pool: &SqlitePool, batch: &[WriteMsg]) -> Result<(), CacheError> {
    let mut tx = db::begin_immediate(pool).await?;
    for m in batch {
        match &m.op {
            WriteOp::Calendar {
                calendar,
                validators,
                at,
            } => cache::write_calendar(&mut tx, m.source_id, calendar, validators, *at).await?,
            WriteOp::Status(up) => cache::write_status(&mut tx, m.source_id, up).await?,
        }
    }
    tx.commit().await?;
    Ok(())
}
