//! Sleeping until a wall-clock instant, so that no loop needs a periodic tick.
//!
//! tokio's timers run on CLOCK_MONOTONIC, which stops during suspend and ignores clock
//! changes: a loop sleeping "until 14:55" on it is late after a resume and wrong after an
//! NTP step, unless it wakes every minute to look again. A timerfd on CLOCK_REALTIME with
//! `TFD_TIMER_ABSTIME` fires at the wall instant (and at once on a resume past it), and
//! `TFD_TIMER_CANCEL_ON_SET` wakes it when the clock is set. tokio has no such timer and
//! the `timerfd` crates wrap the same two calls, so this is written on rustix (already in
//! the tree, and safe).

use std::io;

use chrono::{DateTime, Utc};
use rustix::time::Timespec;
use rustix::time::{
    timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags,
};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Why [`sleep_until`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The wall clock reached the instant.
    Reached,
    /// The wall clock was set (by NTP, the user or a time-zone tool); look again.
    ClockChanged,
}

/// Sleeps until the wall clock reads `at`; returns early when the clock is set. Needs
/// a tokio runtime with I/O enabled. Fails only if the kernel refuses a timerfd.
pub async fn sleep_until(at: DateTime<Utc>) -> io::Result<Wake> {
    let fd = timerfd_create(
        TimerfdClockId::Realtime,
        TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
    )?;
    // An all-zero it_value disarms a timerfd, so an instant at or before the epoch is
    // clamped to just after it (already past: it fires at once).
    let (tv_sec, tv_nsec) = match at.timestamp() {
        s if s <= 0 => (0, 1),
        s => (s, i64::from(at.timestamp_subsec_nanos())),
    };
    let spec = Itimerspec {
        it_interval: Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: Timespec { tv_sec, tv_nsec },
    };
    timerfd_settime(
        &fd,
        TimerfdTimerFlags::ABSTIME | TimerfdTimerFlags::CANCEL_ON_SET,
        &spec,
    )?;
    // Deprecated in tokio 1.54 because a borrowed raw fd could be closed while registered;
    // an `OwnedFd` moved into the `AsyncFd` lives exactly as long as the registration, and
    // the safe-by-contract replacement is `unsafe`, which this crate forbids.
    #[allow(deprecated)]
    let fd = AsyncFd::with_interest(fd, Interest::READABLE)?;
    loop {
        let mut ready = fd.readable().await?;
        let mut expirations = [0u8; 8];
        match ready
            .try_io(|fd| rustix::io::read(fd.get_ref(), &mut expirations).map_err(io::Error::from))
        {
            Ok(Ok(_)) => return Ok(Wake::Reached),
            Ok(Err(e)) if e.raw_os_error() == Some(rustix::io::Errno::CANCELED.raw_os_error()) => {
                return Ok(Wake::ClockChanged)
            }
            Ok(Err(e)) => return Err(e),
            // Spurious readiness: wait again.
            Err(_would_block) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn fires_at_the_wall_instant_not_before() {
        let at = Utc::now() + chrono::Duration::milliseconds(300);
        let t0 = Instant::now();
        let wake = sleep_until(at).await.unwrap();
        assert_eq!(wake, Wake::Reached);
        assert!(Utc::now() >= at, "woke before the instant");
        assert!(t0.elapsed() < Duration::from_secs(2), "woke far too late");
    }

    #[tokio::test]
    async fn an_instant_in_the_past_fires_at_once() {
        for at in [
            Utc::now() - chrono::Duration::hours(1),
            DateTime::<Utc>::MIN_UTC,
        ] {
            let woke = tokio::time::timeout(Duration::from_secs(1), sleep_until(at)).await;
            assert_eq!(woke.unwrap().unwrap(), Wake::Reached);
        }
    }

    #[tokio::test]
    async fn a_far_instant_does_not_fire() {
        for at in [
            Utc::now() + chrono::Duration::days(400),
            DateTime::<Utc>::MAX_UTC,
        ] {
            let woke = tokio::time::timeout(Duration::from_millis(200), sleep_until(at)).await;
            assert!(woke.is_err(), "a timer at {at} fired");
        }
    }
}
