//! A per-source circuit breaker, as plain data and pure transitions.
//!
//! After `failures` consecutive failures the circuit opens for `open_for`: no request is
//! made to that source. When the time is up, one half-open probe is allowed; its success
//! closes the circuit, its failure opens it again for another `open_for`. The state is
//! stored in the `feeds` row, so `status` can show it and a restart keeps it. Time comes
//! from the caller (an injected [`crate::clock::Clock`]), so the transitions are tested
//! without sleeping.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "open" => CircuitState::Open,
            "half_open" => CircuitState::HalfOpen,
            _ => CircuitState::Closed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit (settings `breaker.failures`).
    pub failures: u32,
    /// How long it stays open (settings `breaker.open_seconds`).
    pub open_for: chrono::Duration,
}

impl BreakerConfig {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            failures: s.breaker_failures.max(1),
            open_for: chrono::Duration::seconds(s.breaker_open_seconds as i64),
        }
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures: 5,
            open_for: chrono::Duration::seconds(60),
        }
    }
}

/// What the breaker allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Closed: go ahead.
    Allowed,
    /// The one half-open probe.
    Probe,
    /// Open (or a probe is already out): not before `until`.
    Rejected { until: DateTime<Utc> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    pub state: CircuitState,
    pub consecutive_failures: u32,
    /// When an open circuit allows its probe; while half-open, when the probe was let
    /// out plus `open_for` (a probe that never reports back does not block forever).
    pub open_until: Option<DateTime<Utc>>,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            state: CircuitState::Closed,
            consecutive_failures: 0,
            open_until: None,
        }
    }
}

impl Breaker {
    /// Asks for permission to fetch at `now`; moves Open → HalfOpen when it is time.
    pub fn check(&mut self, now: DateTime<Utc>, cfg: &BreakerConfig) -> Permit {
        match self.state {
            CircuitState::Closed => Permit::Allowed,
            CircuitState::Open | CircuitState::HalfOpen => {
                let until = self.open_until.unwrap_or(now);
                if now >= until {
                    self.state = CircuitState::HalfOpen;
                    self.open_until = Some(now + cfg.open_for);
                    Permit::Probe
                } else {
                    Permit::Rejected { until }
                }
            }
        }
    }

    pub fn record_success(&mut self) {
        *self = Breaker::default();
    }

    pub fn record_failure(&mut self, now: DateTime<Utc>, cfg: &BreakerConfig) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let open = match self.state {
            CircuitState::HalfOpen | CircuitState::Open => true,
            CircuitState::Closed => self.consecutive_failures >= cfg.failures,
        };
        if open {
            self.state = CircuitState::Open;
            self.open_until = Some(now + cfg.open_for);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::clock::{Clock, TestClock};
    use chrono::TimeZone;

    #[test]
    fn five_failures_open_then_one_probe_then_close() {
        let clock = TestClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
        let cfg = BreakerConfig::default();
        let mut b = Breaker::default();
        for i in 0..4 {
            assert_eq!(b.check(clock.now(), &cfg), Permit::Allowed, "attempt {i}");
            b.record_failure(clock.now(), &cfg);
            assert_eq!(b.state, CircuitState::Closed);
        }
        assert_eq!(b.check(clock.now(), &cfg), Permit::Allowed);
        b.record_failure(clock.now(), &cfg);
        assert_eq!(b.state, CircuitState::Open);
        let opened = clock.now();
        clock.advance(chrono::Duration::seconds(59));
        assert_eq!(
            b.check(clock.now(), &cfg),
            Permit::Rejected {
                until: opened + cfg.open_for
            }
        );
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(b.check(clock.now(), &cfg), Permit::Probe);
        assert_eq!(b.state, CircuitState::HalfOpen);
        // Only one probe at a time.
        assert!(matches!(
            b.check(clock.now(), &cfg),
            Permit::Rejected { .. }
        ));
        b.record_success();
        assert_eq!(b.state, CircuitState::Closed);
        assert_eq!(b.consecutive_failures, 0);
        assert_eq!(b.check(clock.now(), &cfg), Permit::Allowed);
    }

    #[test]
    fn failed_probe_reopens_for_a_full_period() {
        let clock = TestClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
        let cfg = BreakerConfig {
            failures: 2,
            open_for: chrono::Duration::seconds(60),
        };
        let mut b = Breaker::default();
        b.record_failure(clock.now(), &cfg);
        b.record_failure(clock.now(), &cfg);
        assert_eq!(b.state, CircuitState::Open);
        clock.advance(chrono::Duration::seconds(60));
        assert_eq!(b.check(clock.now(), &cfg), Permit::Probe);
        b.record_failure(clock.now(), &cfg);
        assert_eq!(b.state, CircuitState::Open);
        assert_eq!(b.open_until, Some(clock.now() + cfg.open_for));
        clock.advance(chrono::Duration::seconds(30));
        assert!(matches!(
            b.check(clock.now(), &cfg),
            Permit::Rejected { .. }
        ));
    }

    #[test]
    fn a_lost_probe_does_not_block_forever() {
        let clock = TestClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
        let cfg = BreakerConfig {
            failures: 1,
            open_for: chrono::Duration::seconds(60),
        };
        let mut b = Breaker::default();
        b.record_failure(clock.now(), &cfg);
        clock.advance(chrono::Duration::seconds(60));
        assert_eq!(b.check(clock.now(), &cfg), Permit::Probe);
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(b.check(clock.now(), &cfg), Permit::Probe);
    }
}
