//! The `calendarbot` command: every subcommand of PRODUCT.md's contract ([`cli`]), on the
//! core alone, and with no subcommand the tray app ([`cli::launch`]).
//!
//! The tray app is its own binary, `calendarbot-app`, because a process linked with
//! WebKitGTK loads and relocates about a hundred shared libraries before `main` runs
//! (65–90 ms measured here): the CLI, run by scripts and status bars many times a minute,
//! pays none of that.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::parse_args() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match args.command {
        Some(command) => cli::run(args.data_dir.as_deref(), command),
        None => cli::launch::app(args.data_dir.as_deref(), args.show),
    }
}
