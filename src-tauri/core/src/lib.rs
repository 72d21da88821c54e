//! CalendarBot's core: everything that is not the desktop shell.
//!
//! Layers, from the bottom up (a module only uses those above it in this list):
//! - [`model`]: the shared data ([`model::Occurrence`], [`model::Window`]).
//! - [`clock`]: injected time and the system zone; [`timefmt`]: the one way times and dates are written.
//! - [`paths`], [`db`], [`settings`]: where files live, the SQLite pool, user settings;
//!   [`hide`]: hide rules and title patterns (between the two: settings validates patterns).
//! - [`monitor`]: the task registry every background task is spawned through.
//! - [`ics`]: the calendar engine (parse and expand RFC 5545 as real providers write it).
//! - [`demo`]: the bundled demo calendar used when no source is configured.
//! - [`sources`], [`secrets`]: configured feeds and their credentials (keyring or a 0600 file).
//! - [`fetch`]: the shared HTTP client, redirect policy, size cap, circuit breaker.
//! - [`cache`]: per-source feed state and events in SQLite, replaced atomically.
//! - [`caldav`]: CalDAV accounts: discovery (RFC 6764) and incremental sync (RFC 6578) into the cache.
//! - [`refresh`]: producers → bounded channel → one batching writer; the refresh scheduler.
//! - [`probe`]: does a location answer with a calendar (before it is added; Test connection).
//! - [`agenda`]: windows, merged expansion, "next meeting"; [`menu_model`]: the tray's
//!   menu (and the headline `calendarbot next` prints) as plain data.
//! - [`window_policy`]: what the window (a less trusted caller) may ask for.
//! - [`reminders`]: the reminder planner, ledger, scheduler loop and desktop notifier.
//! - [`ctx`]: what an operation needs (paths, pool, secrets, clock, the app's listeners).
//! - [`backend`]: owns the pool, the tasks, the cancellation token and the agenda channel;
//!   [`config_watch`] tells it when another process changed a source or a setting.
//! - [`api`]: the operations of the window and the command line, one function each, and
//!   their one error type.
//! - Beside the layers: [`logging`] (the tracing pipeline of the app and the CLI) and
//!   [`opener`] (the only way a link leaves the app).
//!
//! This crate has no Tauri dependency: the compiler keeps the dependency direction,
//! and its tests run without WebKitGTK or a display.

pub mod agenda;
pub mod api;
pub mod autostart;
pub mod backend;
pub mod cache;
pub mod caldav;
pub mod clock;
pub mod config_watch;
pub mod ctx;
pub mod db;
pub mod demo;
pub mod fetch;
pub mod file_watch;
pub mod hide;
pub mod ics;
pub mod logging;
pub mod menu_model;
pub mod model;
pub mod monitor;
pub mod opener;
pub mod paths;
pub mod probe;
pub mod refresh;
pub mod reminders;
pub mod secrets;
pub mod settings;
pub mod shortcut;
pub mod sources;
pub mod system_events;
pub mod timefmt;
pub mod wall_timer;
pub mod window_policy;
