//! `calendarbot status`: what a process other than the app can learn of it. Source
//! health and the notification path's health come from the database; the app's tasks,
//! memory and failing background loops from what the app publishes in its data
//! directory, and only while it runs.

use crate::backend::{self, LoopHealth};
use crate::cache::SourceHealth;
use crate::ctx::Ctx;
use crate::monitor::{self, Memory, Snapshot};
use crate::reminders::{self, NotifyHealth};

use super::error::{ApiError, ApiResult};
use super::sources;

/// The running app, as it last published itself.
#[derive(Debug, Clone)]
pub struct RunningApp {
    pub snapshot: Snapshot,
    /// Its memory now; its last published figure if /proc cannot be read.
    pub memory: Memory,
    /// Its background loops that are failing now (none: all is well).
    pub failing_loops: Vec<LoopHealth>,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub sources: Vec<SourceHealth>,
    pub notifications: NotifyHealth,
    /// `None`: the app is not running on this data directory.
    pub app: Option<RunningApp>,
}

pub async fn status(ctx: &Ctx) -> ApiResult<Status> {
    let sources = sources::health(ctx).await?;
    let notifications = reminders::health::read(ctx.pool())
        .await
        .map_err(ApiError::internal)?;
    let app = monitor::read_snapshot(&ctx.paths().runtime_status()).map(|snapshot| RunningApp {
        memory: Memory::of(snapshot.pid).unwrap_or(snapshot.tasks.memory),
        failing_loops: backend::published_loops(ctx.paths())
            .into_iter()
            .filter(|l| l.failures > 0)
            .collect(),
        snapshot,
    });
    Ok(Status {
        sources,
        notifications,
        app,
    })
}
