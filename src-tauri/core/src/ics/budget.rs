//! The one budget of an expansion: a whole feed, or a whole agenda of several feeds.
//!
//! Work is counted, never timed, so the same input always gives the same output on any
//! machine and under any load. Three quantities are bounded:
//! - occurrences listed: at most [`Budget::for_window`]'s count, which is at least one
//!   per hour of the window (plus [`SLACK_OCCURRENCES`]): a rule whose instances are an
//!   hour or more apart always fits whole, in any window;
//! - bytes of those occurrences (struct plus text), the same way;
//! - rule iterations (instances the rrule crate yields, before the window included).
//!
//! Who is cut: events are expanded in order of rule density (single events first, then
//! rules from the sparsest to the densest), so a feed's minutely spam cannot starve its
//! weekly meetings; each event still shows its first instance in the window, flagged
//! `truncated`, so no event disappears. What was cut is reported in [`Truncation`].

use crate::model::{Occurrence, Window};

/// Occurrences always allowed, whatever the window (a 10-year window's hourly rule is
/// 87,660 instances).
pub const BASE_OCCURRENCES: usize = 100_000;
/// Added to one-per-hour-of-the-window, for the other events of the feed.
pub const SLACK_OCCURRENCES: usize = 10_000;
/// Estimated bytes always allowed (occurrences and their text).
pub const BASE_BYTES: usize = 64 << 20;
/// Bytes allowed per occurrence of the hourly guarantee.
const BYTES_PER_HOUR: usize = 640;
/// Rule iterations (yielded instances, margins and skipped ones included) per occurrence
/// allowed, plus a base: bounds the work of rules that yield mostly outside the window.
const STEPS_PER_OCCURRENCE: u64 = 8;
const BASE_STEPS: u64 = 4_000_000;

/// What an expansion left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Truncation {
    /// Some occurrences in the window are not listed.
    pub truncated: bool,
    /// Events (UIDs) whose occurrences were cut.
    pub events: usize,
    /// The first reason, in words (e.g. "the agenda's budget of 100000 occurrences was
    /// reached").
    pub reason: Option<String>,
}

impl Truncation {
    /// Records one cut event.
    pub fn cut(&mut self, reason: impl FnOnce() -> String) {
        self.truncated = true;
        self.events += 1;
        if self.reason.is_none() {
            self.reason = Some(reason());
        }
    }

    /// Adds another expansion's cuts.
    pub fn merge(&mut self, other: &Truncation) {
        if other.truncated {
            self.truncated = true;
            self.events += other.events;
            if self.reason.is_none() {
                self.reason.clone_from(&other.reason);
            }
        }
    }
}

/// Occurrences with what was cut.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expansion {
    /// Sorted by start (see [`super::expand`]).
    pub occurrences: Vec<Occurrence>,
    pub truncation: Truncation,
}

/// The remaining allowance of one expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub occurrences: usize,
    pub bytes: usize,
    pub steps: u64,
    /// The allowances this budget started with (for messages).
    pub total_occurrences: usize,
    pub total_bytes: usize,
}

impl Budget {
    /// The budget of a whole agenda over `window` (see the module header).
    pub fn for_window(window: Window) -> Budget {
        let hours = (window.to - window.from).num_hours().max(0);
        let hours = usize::try_from(hours).unwrap_or(usize::MAX);
        let occurrences = BASE_OCCURRENCES.max(hours.saturating_add(SLACK_OCCURRENCES));
        let bytes = BASE_BYTES.max(occurrences.saturating_mul(BYTES_PER_HOUR));
        Budget {
            occurrences,
            bytes,
            steps: BASE_STEPS
                .saturating_add(STEPS_PER_OCCURRENCE.saturating_mul(occurrences as u64)),
            total_occurrences: occurrences,
            total_bytes: bytes,
        }
    }

    /// An equal share of what is left, for one of `parts` feeds of an agenda; feeds that
    /// use less leave more for the next ones (the caller gives back with [`Budget::spent`]).
    pub fn share(&self, parts: usize) -> Budget {
        let parts = parts.max(1);
        Budget {
            occurrences: self.occurrences / parts,
            bytes: self.bytes / parts,
            steps: self.steps / parts as u64,
            total_occurrences: self.total_occurrences,
            total_bytes: self.total_bytes,
        }
    }

    /// Deducts what a share used (`before` is the share as given, `after` what is left).
    pub fn spent(&mut self, before: &Budget, after: &Budget) {
        self.occurrences = self
            .occurrences
            .saturating_sub(before.occurrences.saturating_sub(after.occurrences));
        self.bytes = self
            .bytes
            .saturating_sub(before.bytes.saturating_sub(after.bytes));
        self.steps = self
            .steps
            .saturating_sub(before.steps.saturating_sub(after.steps));
    }

    /// How many occurrences of `bytes_each` bytes still fit.
    pub fn fits(&self, bytes_each: usize) -> usize {
        self.occurrences.min(self.bytes / bytes_each.max(1))
    }

    /// Deducts `n` occurrences of `bytes_each` bytes (never below zero: the one-instance
    /// floor of each event may go past the allowance).
    pub fn take(&mut self, n: usize, bytes_each: usize) {
        self.occurrences = self.occurrences.saturating_sub(n);
        self.bytes = self.bytes.saturating_sub(n.saturating_mul(bytes_each));
    }

    /// Deducts rule iterations.
    pub fn take_steps(&mut self, n: u64) {
        self.steps = self.steps.saturating_sub(n);
    }
}

/// Estimated heap and inline bytes of one occurrence of an event with these texts.
pub fn occurrence_bytes(texts: &[Option<&str>], categories: &[String], source: &str) -> usize {
    let text: usize = texts.iter().flatten().map(|s| s.len()).sum();
    let cats: usize = categories.iter().map(|c| c.len() + 24).sum();
    std::mem::size_of::<Occurrence>() + text + cats + source.len()
}
