//! The CalendarBot desktop shell: the Tauri app around `calendarbot-core`.
//!
//! - [`app_entry`] is the `calendarbot-app` binary, which the `calendarbot` command
//!   (`main.rs`: the CLI, without this crate) starts when it has no subcommand.
//! - [`app`] builds the tokio runtime, hands it to Tauri, and wires the backend, the
//!   tray ([`tray`], a view of the core's pure `menu_model`), the on-demand window
//!   ([`window`]), the commands ([`commands`]) and the exit policy ([`lifecycle`]).
//! - [`instance`] keeps one instance per data directory.
//! - [`alert_window`] is the at-start reminder window; [`shortcut`] the global "join next
//!   meeting" key.

mod alert_window;
mod app;
pub mod commands;
pub mod events;
mod instance;
pub mod lifecycle;
mod notifications;
mod shortcut;
pub mod state;
pub mod tray;
#[cfg(target_os = "linux")]
mod tray_gtk;
pub mod tray_pixels;
mod tray_tauri;
mod window;

use std::path::PathBuf;
use std::process::ExitCode;

/// Runs the `calendarbot-app` binary: the tray app as `calendarbot` starts it, with the
/// data directory in `CALENDARBOT_DATA_DIR` (clap's environment variable for `--data-dir`,
/// so the two binaries read it alike) and `--show` to open the window. Anything else is a
/// sign of a person running it by hand: one line pointing at `calendarbot`, exit 2.
pub fn app_entry() -> ExitCode {
    let mut show = false;
    for arg in std::env::args_os().skip(1) {
        if arg == "--show" {
            show = true;
        } else {
            eprintln!(
                "calendarbot-app: unexpected argument {arg:?}: the tray app is started by \
                 `calendarbot` (see calendarbot --help)"
            );
            return ExitCode::from(2);
        }
    }
    // As clap reads it: an empty value is no value.
    let data_dir = std::env::var_os("CALENDARBOT_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    app::run(data_dir.as_deref(), show)
}
