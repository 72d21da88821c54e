//! The refresh scheduler: sleeps until the next source is due (no periodic tick), or
//! until "refresh now", a watched file's change or a finished refresh wakes it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{Pipeline, PipelineOptions, RefreshError};
use crate::cache::{self, FeedState};
use crate::fetch::breaker::CircuitState;
use crate::file_watch::FileWatch;
use crate::settings::Settings;
use crate::sources::{self, Source, SourceKind, Target};

impl Pipeline {
    pub(super) async fn scheduler_loop(&self) {
        let deps = &self.inner.deps;
        let mut files = FileWatch::new();
        let mut force = Force::None;
        loop {
            let next = match self.schedule_round(force, &mut files).await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "scheduler round failed");
                    Some(deps.clock.now() + chrono::Duration::seconds(60))
                }
            };
            force = Force::None;
            tokio::select! {
                _ = self.inner.cancel.cancelled() => break,
                _ = self.inner.refresh_now.notified() => force = Force::All,
                id = files.changed() => force = Force::Source(id),
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
