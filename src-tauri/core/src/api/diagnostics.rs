//! Diagnostics: what `calendarbot status` shows (sources with health and breaker state,
//! recent errors, tasks and memory), the background loops' health (the refresh
//! scheduler's among them), where the logs are.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::backend::{Backend, LoopHealth};
use crate::monitor::TaskReport;

use super::error::ApiResult;
use super::sources::{self, SourceView};

/// A problem worth seeing: a source's last failure or a failing background loop.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RecentError {
    pub at: Option<DateTime<Utc>>,
    /// The calendar's name, or the background task's.
    pub source: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Diagnostics {
    pub version: &'static str,
    pub data_dir: String,
    pub log_dir: String,
    /// Tasks, blocking pool and memory.
    pub tasks: TaskReport,
    pub sources: Vec<SourceView>,
    /// Background loops that failed at least once since the start.
    pub loops: Vec<LoopHealth>,
    /// Newest first.
    pub recent_errors: Vec<RecentError>,
}

/// The app's version, as every face reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub async fn diagnostics(backend: &Backend) -> ApiResult<Diagnostics> {
    let sources = sources::views(backend.ctx()).await?;
    let loops = backend.loop_health();
    let mut recent_errors: Vec<RecentError> = sources
        .iter()
        .filter_map(|s| {
            let h = s.health.as_ref()?;
            Some(RecentError {
                at: h.last_checked,
                source: s.name.clone(),
                message: h.last_error.clone()?,
            })
        })
        .chain(loops.iter().filter(|l| l.failures > 0).filter_map(|l| {
            Some(RecentError {
                at: l.failing_since,
                source: format!("{} (background task)", l.name),
                message: l.last_error.clone()?,
            })
        }))
        .collect();
    recent_errors.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(Diagnostics {
        version: VERSION,
        data_dir: backend.paths().data_dir.display().to_string(),
        log_dir: backend.paths().log_dir.display().to_string(),
        tasks: backend.tasks().report(),
        sources,
        loops,
        recent_errors,
    })
}
