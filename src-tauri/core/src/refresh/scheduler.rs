//! The refresh scheduler: sleeps until the next source is due (no periodic tick), or
//! until "refresh now", a watched file's change or a finished refresh wakes it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Pipeline, PipelineOptions, RefreshError};
use crate::cache::{self, FeedState};
use crate::fetch::breaker::CircuitState;
use crate::file_watch::FileWatch;
use crate::settings::Settings;
use crate::sources::{self, Source, SourceKind, Target};

/// The first wait after a failed round; it doubles per failure in a row up to
/// [`MAX_BACKOFF`].
const FIRST_BACKOFF: chrono::Duration = chrono::Duration::seconds(5);
const MAX_BACKOFF: chrono::Duration = chrono::Duration::minutes(5);

/// How the scheduler is doing, for Diagnostics and tests: when it next wakes on its
/// own, and the failures of its rounds (a round reads the settings, the feed states
/// and the sources; a database error there is retried with a backoff, never the end).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchedulerHealth {
    /// Rounds completed since start.
    pub rounds: u64,
    /// When the scheduler next wakes unprompted (`None`: only when something changes).
    pub next_round: Option<DateTime<Utc>>,
    /// Failed rounds in a row (0 when the last round worked).
    pub failures: u32,
    /// The last round's error in words, while it keeps failing.
    pub last_error: Option<String>,
}

/// The wait after `failures` failed rounds in a row.
pub fn backoff(failures: u32) -> chrono::Duration {
    let exp = failures.saturating_sub(1).min(10);
    (FIRST_BACKOFF * (1i32 << exp)).min(MAX_BACKOFF)
}

impl Pipeline {
    pub(super) async fn scheduler_loop(&self) {
        let deps = &self.inner.deps;
        let mut files = FileWatch::new();
        let mut force = Force::None;
        let mut failures = 0u32;
        loop {
            let (next, error) = match self.schedule_round(force, &mut files).await {
                Ok(next) => {
                    failures = 0;
                    force = Force::None;
                    (next, None)
                }
                Err(e) => {
                    // Recoverable by nature (a locked or briefly unreadable database):
                    // log, wait longer each time, and keep a forced refresh for the retry.
                    failures += 1;
                    tracing::error!(error = %e, failures, "scheduler round failed; retrying");
                    (
                        Some(deps.clock.now() + backoff(failures)),
                        Some(e.to_string()),
                    )
                }
            };
            self.inner.scheduler.send_modify(|h| {
                h.rounds += 1;
                h.next_round = next;
                h.failures = failures;
                h.last_error = error;
            });
            tokio::select! {
                _ = self.inner.cancel.cancelled() => break,
                _ = self.inner.refresh_now.notified() => force = Force::All,
                id = files.changed() => force = force.or(Force::Source(id)),
                _ = self.inner.finished.notified() => {}
                () = deps.clock.sleep_until(next, deps.options.max_sleep) => {}
            }
        }
        tracing::debug!("scheduler stopped");
    }

    /// Spawns the due sources and the forced ones; returns when the next one is due.
    async fn schedule_round(
        &self,
        force: Force,
        files: &mut FileWatch,
    ) -> Result<Option<DateTime<Utc>>, RefreshError> {
        let deps = &self.inner.deps;
        let settings = Settings::load(&deps.pool).await?;
        deps.fetcher.apply_settings(&settings);
        let states = cache::feed_states(&deps.pool).await?;
        let now = deps.clock.now();
        let mut next: Option<DateTime<Utc>> = None;
        let (ok, _bad) = sources::resolve_enabled(&deps.pool, &deps.secrets).await?;
        let local: Vec<(i64, PathBuf)> = ok
            .iter()
            .filter_map(|rs| match &rs.target {
                Target::File { path } => Some((rs.source.id, path.clone())),
                Target::Http { .. } => None,
            })
            .collect();
        let polled = files.set(&local);
        for rs in ok {
            let id = rs.source.id;
            let state = states.iter().find(|s| s.source_id == id);
            let due = match force {
                Force::All => now,
                Force::Source(forced) if forced == id => now,
                _ => next_due(
                    &rs.source,
                    state,
                    &settings,
                    &deps.options,
                    polled.contains(&id),
                ),
            };
            let busy = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&rs.source.id);
            if due <= now && !busy {
                self.spawn_refresh(rs, settings.clone());
            } else if !busy {
                next = Some(next.map_or(due, |n: DateTime<Utc>| n.min(due)));
            }
        }
        Ok(next)
    }
}

/// What a scheduler round refreshes whether due or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Force {
    None,
    /// "Refresh now".
    All,
    /// A watched file changed.
    Source(i64),
}

impl Force {
    /// A force still pending (kept over a failed round) wins over a new one.
    fn or(self, other: Force) -> Force {
        match self {
            Force::None => other,
            kept => kept,
        }
    }
}

/// When a source should next be fetched (pure; `now`-free so it is easy to test).
/// `polled`: a local file that cannot be watched, so it is checked every
/// `options.file_check`; a watched one is read again when it changes.
pub fn next_due(
    source: &Source,
    state: Option<&FeedState>,
    settings: &Settings,
    options: &PipelineOptions,
    polled: bool,
) -> DateTime<Utc> {
    let Some(state) = state else {
        return DateTime::<Utc>::MIN_UTC;
    };
    let Some(checked) = state.last_checked else {
        return DateTime::<Utc>::MIN_UTC;
    };
    let interval = cache::effective_interval(source, state.meta.as_ref(), settings);
    // Up to 10 % (at most 2 min) of jitter, derived from the source and the last check
    // so it is stable between rounds and spreads sources added together.
    let spread = (interval.num_seconds() / 10).clamp(0, 120);
    let seed =
        (source.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (checked.timestamp() as u64);
    let jitter = if spread > 0 {
        (seed % spread as u64) as i64
    } else {
        0
    };
    let mut due = if state.last_error.is_some() && state.breaker.consecutive_failures > 0 {
        let exp = state.breaker.consecutive_failures.saturating_sub(1).min(10);
        let backoff = chrono::Duration::seconds(60i64 << exp);
        checked + backoff.min(interval)
    } else {
        checked + interval + chrono::Duration::seconds(jitter)
    };
    if source.kind == SourceKind::File && polled {
        let file_check =
            chrono::Duration::from_std(options.file_check).unwrap_or(chrono::Duration::seconds(60));
        due = due.min(checked + file_check);
    }
    if state.breaker.state != CircuitState::Closed {
        if let Some(open_until) = state.breaker.open_until {
            due = due.max(open_until);
        }
    }
    if let Some(ra) = state.retry_after {
        due = due.max(ra);
    }
    due
}
