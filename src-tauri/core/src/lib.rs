//! CalendarBot's core: everything that is not the desktop shell.
//!
//! Layers, from the bottom up (a module only uses those above it in this list):
//! - [`model`]: the shared data ([`model::Occurrence`], [`model::Window`]).
//! - [`clock`]: injected time.
//! - [`paths`], [`db`], [`settings`]: where files live, the SQLite pool, user settings.
//! - [`ics`]: the calendar engine (parse and expand RFC 5545 as real providers write it).
//! - [`demo`]: the bundled demo calendar used when no source is configured.
//! - [`reminders`]: the reminder planner, ledger, scheduler loop and desktop notifier.
//!
//! This crate has no Tauri dependency: the compiler keeps the dependency direction,
//! and its tests run without WebKitGTK or a display.

pub mod clock;
pub mod db;
pub mod demo;
pub mod ics;
pub mod model;
pub mod paths;
pub mod reminders;
pub mod settings;
