//! Time as an injected dependency: the wall clock in the app, a settable clock in tests.
//!
//! Nothing below the shell calls `Utc::now()` directly, so schedules, reminders and the
//! menu model can be tested at any instant, across suspends and clock jumps.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};

/// A sleep returned by [`Clock::sleep_until`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> DateTime<Utc>;

    /// Sleeps until the wall clock reads `at` (`None`: until something else wakes the
    /// caller). It may return early, when the clock is set or after `cap` on a clock that
    /// cannot report changes, so callers re-read [`Clock::now`] and loop; they never
    /// assume `at` was reached.
    ///
    /// This default runs on tokio's monotonic timer, bounded by `cap` (the test clock,
    /// and tokio's paused time in tests); the system clock uses a wall-clock timer.
    fn sleep_until(&self, at: Option<DateTime<Utc>>, cap: StdDuration) -> Sleep {
        Box::pin(capped_sleep(at, self.now(), cap))
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// A CLOCK_REALTIME timerfd ([`crate::wall_timer`]): on time across suspend and clock
    /// changes, with no wake-up before `at` unless the clock is set; `cap` is not needed.
    /// Falls back to the capped monotonic sleep if the kernel refuses a timerfd.
    fn sleep_until(&self, at: Option<DateTime<Utc>>, cap: StdDuration) -> Sleep {
        let at = at.unwrap_or(DateTime::<Utc>::MAX_UTC);
        Box::pin(async move {
            if let Err(e) = crate::wall_timer::sleep_until(at).await {
                tracing::warn!(error = %e, "wall-clock timer unavailable; using a capped sleep");
                capped_sleep(Some(at), Utc::now(), cap).await;
            }
        })
    }
}

/// A monotonic sleep until `at` (read against `now`), at most `cap`: what a clock that
/// cannot report suspends and clock changes can do.
fn capped_sleep(
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    cap: StdDuration,
) -> tokio::time::Sleep {
    let wait = at.map_or(cap, |at| (at - now).to_std().unwrap_or(StdDuration::ZERO));
    tokio::time::sleep(wait.min(cap))
}

/// A clock tests set and advance by hand; cloning shares the same time.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system's IANA time zone (`TZ`, then /etc/localtime), or UTC when it cannot be
/// read or is not an IANA name.
pub fn system_zone() -> chrono_tz::Tz {
    let from_env = std::env::var("TZ")
        .ok()
        .map(|v| v.trim_start_matches(':').to_string())
        .filter(|v| !v.is_empty());
    from_env
        .or_else(|| iana_time_zone::get_timezone().ok())
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}
