//! The CalendarBot desktop shell: the Tauri app around `calendarbot-core`.
//!
//! - [`main_entry`] parses the command line first: subcommands run in [`cli`] without
//!   touching GTK; otherwise [`app`] starts the tray app.
//! - [`app`] builds the tokio runtime, hands it to Tauri, and wires the backend, the
//!   tray ([`tray`], a view of the pure [`menu_model`]), the on-demand window
//!   ([`window`]), the commands ([`commands`]) and the exit policy ([`lifecycle`]).
//! - [`instance`] keeps one instance per data directory; [`logging`] sets up tracing;
//!   [`opener`] is the only way a link leaves the app.
//! - [`alert_window`] is the at-start reminder window; [`shortcut`] the global "join next
//!   meeting" key.

mod alert_window;
mod app;
mod cli;
pub mod commands;
pub mod events;
mod instance;
pub mod lifecycle;
mod logging;
pub mod menu_model;
mod notifications;
pub mod opener;
mod shortcut;
pub mod state;
pub mod tray;
#[cfg(target_os = "linux")]
mod tray_gtk;
pub mod tray_pixels;
mod tray_tauri;
mod window;

use std::process::ExitCode;

/// Runs the `calendarbot` binary.
pub fn main_entry() -> ExitCode {
    let args = match cli::parse_args() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match args.command {
        Some(command) => cli::run(args.data_dir.as_deref(), command),
        None => app::run(args.data_dir.as_deref(), args.show),
    }
}
