//! Reminders: when to notify, at most once, and how.
//!
//! - [`plan`]: the pure planner (occurrences, config, pause, ledger, watermark, now → due).
//! - [`ledger`]: SQLite fired / snoozed / dismissed state, the pause and the watermark.
//! - [`scheduler`]: the async loop (sleep until due or a 60 s sentinel; wake on change).
//! - [`content`]: notification text.
//! - [`notifier`]: the [`notifier::Notifier`] trait and a recording notifier for tests.
//! - [`dbus`]: the desktop notifier over the D-Bus session bus.
//!
//! The shell wires it as: `DbusNotifier::connect` (on a blocking thread), then
//! [`scheduler::Scheduler::new`] + `spawn(&tracker)`, then reads [`scheduler::ShellRequest`]s.

pub mod content;
pub mod dbus;
pub mod ledger;
pub mod notifier;
pub mod plan;
pub mod scheduler;

pub use dbus::DbusNotifier;
pub use notifier::{Action, Notification, Notifier, NotifierEvent, RecordingNotifier};
pub use plan::{ReminderConfig, SourceOverride};
pub use scheduler::{PauseFor, ReminderError, ReminderHandle, Scheduler, ShellRequest};
