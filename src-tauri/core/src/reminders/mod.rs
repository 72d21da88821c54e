//! Reminders: when to notify, at most once, and how.
//!
//! - [`plan`]: the pure planner (occurrences, config, pause, ledger, watermark, now → due).
//! - [`ledger`]: SQLite fired / snoozed / dismissed state, the pause and the watermark.
//! - [`scheduler`]: the async loop (sleep until due or a 60 s sentinel; wake on change).
//! - [`content`]: notification text.
//! - [`notifier`]: the [`notifier::Notifier`] trait and a recording notifier for tests.
//! - [`dbus`]: the desktop notifier over the D-Bus session bus.
//!
//! Wiring in the shell (sketch):
//!
//! ```text
//! let (ev_tx, ev_rx) = tokio::sync::mpsc::unbounded_channel();
//! let notifier: Arc<dyn Notifier> = match spawn_blocking(move || DbusNotifier::connect("CalendarBot", ev_tx)).await? {
//!     Ok(n) => Arc::new(n),
//!     Err(e) => { warn!(%e, "no notifications"); /* run without the scheduler, or a logging Notifier */ }
//! };
//! let (cfg_tx, cfg_rx) = watch::channel(ReminderConfig::new(&Settings::load(&pool).await?, tz));
//! let sched = Scheduler::new(pool.clone(), clock.clone(), notifier, ev_rx, agenda_rx, cfg_rx, root_token.child_token());
//! let (reminders, mut shell_rx) = sched.spawn(&tasks);
//! tasks.spawn("shell requests", async move { while let Some(req) = shell_rx.recv().await { /* OpenWindow | Join { url } */ } });
//! ```
//!
//! Delivery is at most once (see [`ledger`]); missed reminders follow [`plan`]'s rules.

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
