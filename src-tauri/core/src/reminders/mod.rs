//! Reminders: when to notify, at most once, and how.
//!
//! - [`plan`]: the pure planner (occurrences, config, pause, ledger, watermark, now → due).
//! - [`key`]: which alarm of which occurrence a reminder is (planner and ledger share it).
//! - [`ledger`]: SQLite claimed / fired / snoozed / dismissed state, the pause and the
//!   watermark.
//! - [`scheduler`]: the async loop (sleep until due or a 60 s sentinel; wake on change;
//!   retry failed shows; bursts; replace and close).
//! - [`content`]: notification text, and the rule that makes feed text safe to show.
//! - [`notifier`]: the [`notifier::Notifier`] trait and a recording notifier for tests.
//! - [`desktop`]: the desktop notifier (notify-rust, a connection per notification).
//! - [`health`]: whether notifications are failing, for the tray and `status`.
//! - [`alert`]: the at-start reminder window's content and actions.
//!
//! Wiring in the shell (sketch):
//!
//! ```text
//! let (ev_tx, ev_rx) = tokio::sync::mpsc::unbounded_channel();
//! let notifier: Arc<dyn Notifier> = Arc::new(DesktopNotifier::new("CalendarBot", ev_tx));
//! let (cfg_tx, cfg_rx) = watch::channel(ReminderConfig::new(&Settings::load(&pool).await?, tz));
//! let sched = Scheduler::new(pool.clone(), clock.clone(), notifier, ev_rx, agenda_rx, cfg_rx, root_token.child_token());
//! let (reminders, mut shell_rx) = sched.spawn(&tasks);
//! tasks.spawn("shell requests", async move { while let Some(req) = shell_rx.recv().await { /* OpenWindow | Join { url } */ } });
//! ```
//!
//! Delivery is exactly once (see [`ledger`]); missed reminders follow [`plan`]'s rules.

pub mod alert;
pub mod content;
pub mod desktop;
pub mod health;
pub mod key;
pub mod ledger;
pub mod notifier;
pub mod plan;
pub mod scheduler;

pub use alert::{Alert, AlertAction};
pub use desktop::DesktopNotifier;
pub use health::NotifyHealth;
pub use notifier::{Action, Notification, Notifier, NotifierEvent, RecordingNotifier};
pub use plan::{ReminderConfig, SourceOverride};
pub use scheduler::{PauseFor, ReminderError, ReminderHandle, Scheduler, ShellRequest};
