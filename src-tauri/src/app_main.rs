//! The `calendarbot-app` binary: the tray app, started by `calendarbot` (see `main.rs`).

// No console window for the tray app on Windows; harmless elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    calendarbot_lib::app_entry()
}
