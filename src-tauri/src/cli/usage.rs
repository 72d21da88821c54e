//! Reading argv: clap's definitions ([`super::args`]) with its errors as one line.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use super::args::Cli;
use super::out::escape;
use super::say;

/// Parses argv. Help and version go to stdout (exit 0); every other clap error becomes
/// one line on stderr (clap's first line, its tips in parentheses) with exit 2, instead
/// of clap's multi-line usage blurb.
pub fn parse_args() -> Result<Cli, ExitCode> {
    let e = match Cli::try_parse() {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return Err(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let msg = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        missing_subcommand()
    } else {
        one_line(&e.render().to_string())
    };
    say(&format!("{} (see calendarbot --help)", escape(&msg)));
    Err(ExitCode::from(2))
}

/// clap's rendered error as one line: `error: X` plus what clap adds before its usage
/// block (tips, possible values) in parentheses.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first).to_string();
    let extra: Vec<&str> = lines
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(|l| l.strip_prefix("tip: ").unwrap_or(l))
        .collect();
    if extra.is_empty() {
        first
    } else {
        format!("{first} ({})", extra.join("; "))
    }
}

/// `calendarbot sources` (no subcommand): name the command and what it accepts.
fn missing_subcommand() -> String {
    let mut cmd = Cli::command();
    let mut path = vec!["calendarbot".to_string()];
    for word in std::env::args().skip(1).filter(|a| !a.starts_with('-')) {
        // Words that are not subcommands are option values (`--data-dir DIR`): skip them.
        if let Some(sub) = cmd.find_subcommand(&word).cloned() {
            path.push(word);
            cmd = sub;
        }
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    format!("'{}' needs one of: {}", path.join(" "), subs.join(", "))
}
