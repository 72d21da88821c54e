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

/// Runs the `calendarbot-app` binary: the tray app as `calendarbot` starts it, with
/// `--data-dir DIR` (the command resolved it from its argument or `CALENDARBOT_DATA_DIR`)
/// and `--show` to open the window. Anything else is a sign of a person running it by
/// hand: one line pointing at `calendarbot`, exit 2.
pub fn app_entry() -> ExitCode {
    let refuse = |arg: &std::ffi::OsStr| {
        eprintln!(
            "calendarbot-app: unexpected argument {arg:?}: the tray app is started by \
             `calendarbot` (see calendarbot --help)"
        );
        ExitCode::from(2)
    };
    let mut show = false;
    let mut data_dir = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--show" {
            show = true;
        } else if arg == "--data-dir" {
            match args.next() {
                Some(dir) => data_dir = Some(PathBuf::from(dir)),
                None => return refuse(&arg),
            }
        } else {
            return refuse(&arg);
        }
    }
    app::run(data_dir.as_deref(), show)
}
