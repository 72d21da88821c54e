//! The `calendarbot` binary: parse the command line, then either run a
//! display-free CLI command or start the tray app.

// No console window for the tray app on Windows; harmless elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    calendarbot_lib::main_entry()
}
