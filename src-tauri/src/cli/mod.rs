//! The display-free command line (PRODUCT.md's contract). Each command opens only
//! what it needs (often just the database) on a small current-thread runtime, and calls
//! the core's API (`calendarbot_core::api`) like the window does.
//!
//! Exit codes: 0 success (also when the reader of stdout went away: see [`out`]),
//! 1 failure (e.g. a source failed to sync), 2 bad usage or input (the API's errors say
//! which: `ApiError::exit_code`). Every error is one line on stderr, clap's own included
//! ([`parse_args`]), with control characters of echoed names and values escaped
//! ([`out::escape`]).
//!
//! - [`args`]: the clap definitions; [`usage`]: argv and clap's errors as one line;
//!   [`out`]: stdout and escaping.
//! - One module per command: [`agenda`], [`next`], [`sources`], [`accounts`] (CalDAV),
//!   [`sync`], [`settings`], [`status`], [`hide`] (hide rules).
//! - No subcommand: [`launch`] starts the tray app.

pub mod accounts;
pub mod agenda;
pub mod args;
mod hide;
mod join;
pub mod launch;
mod next;
pub mod out;
mod settings;
mod sources;
mod status;
mod sync;
mod usage;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use calendarbot_core::api::{ApiError, Ctx};
use calendarbot_core::clock::SystemClock;
use calendarbot_core::db;
use calendarbot_core::paths::Paths;
use calendarbot_core::settings::SettingsError;

use args::Command;
use out::escape;

pub use usage::parse_args;

use calendarbot_core::logging;

/// A command's failure: what to print and which exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or input: exit 2.
    Usage(String),
    /// The command could not do its job: exit 1.
    Failed(String),
    /// stdout was closed by its reader: nothing to say, exit 0.
    Quiet,
}

impl CliError {
    fn failed(e: impl std::fmt::Display) -> Self {
        Self::Failed(e.to_string())
    }
}

/// The API decides whether a failure is the user's (exit 2) or the app's (exit 1).
impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        if e.exit_code() == 2 {
            Self::Usage(e.message)
        } else {
            Self::Failed(e.message)
        }
    }
}

impl From<SettingsError> for CliError {
    fn from(e: SettingsError) -> Self {
        ApiError::from(e).into()
    }
}

/// One line on stderr; a closed stderr is not worth a panic.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "calendarbot: {msg}");
}

/// The clock, checked: chrono's `Utc::now()` panics on a clock before 1970.
fn check_clock() -> Result<(), CliError> {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(_) => Ok(()),
        Err(e) => Err(CliError::Failed(format!(
            "the system clock is set before 1970 ({} s before the epoch): set the date and time, then try again",
            e.duration().as_secs()
        ))),
    }
}

pub fn run(data_dir: Option<&Path>, command: Command) -> ExitCode {
    // First: logging and every command read the clock.
    if let Err(e) = check_clock() {
        return report(e);
    }
    logging::init_cli();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(CliError::failed(e)),
    };
    match runtime.block_on(dispatch(data_dir, command)) {
        Ok(code) => code,
        Err(e) => report(e),
    }
}

fn report(e: CliError) -> ExitCode {
    match e {
        CliError::Usage(msg) => {
            say(&escape(&msg));
            ExitCode::from(2)
        }
        CliError::Failed(msg) => {
            say(&escape(&msg));
            ExitCode::FAILURE
        }
        CliError::Quiet => ExitCode::SUCCESS,
    }
}

async fn dispatch(data_dir: Option<&Path>, command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Agenda(a) if !a.ics.is_empty() => {
            agenda::from_files(a).map(|()| ExitCode::SUCCESS)
        }
        Command::Agenda(a) => {
            let (_, pool) = open(data_dir, db::Access::Read).await?;
            let result = agenda::from_cache(&pool, a).await;
            db::close(&pool).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Next(n) => {
            let ctx = open_ctx(data_dir, db::Access::Read).await?;
            let result = next::run(&ctx, n).await;
            db::close(ctx.pool()).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Join(j) => {
            let ctx = open_ctx(data_dir, db::Access::Read).await?;
            let result = join::run(&ctx, j).await;
            db::close(ctx.pool()).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Settings(s) => {
            let ctx = open_ctx(data_dir, db::Access::Write).await?;
            let result = settings::run(&ctx, s).await;
            db::close(ctx.pool()).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Hide(c) => {
            let access = if matches!(c, hide::HideCommand::List(_)) {
                db::Access::Read
            } else {
                db::Access::Write
            };
            let ctx = open_ctx(data_dir, access).await?;
            let result = hide::run(&ctx, c).await;
            db::close(ctx.pool()).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Sources(c) => {
            let ctx = open_ctx(data_dir, db::Access::Write).await?;
            let result = sources::run(&ctx, c).await;
            db::close(ctx.pool()).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Accounts(c) => {
            let (paths, pool) = open(data_dir, db::Access::Write).await?;
            let result = accounts::run(&paths, &pool, c).await;
            db::close(&pool).await;
            result
        }
        Command::Sync => {
            let (paths, pool) = open(data_dir, db::Access::Write).await?;
            let result = sync::run(&paths, &pool).await;
            db::close(&pool).await;
            result
        }
        Command::Status(f) => {
            let ctx = open_ctx(data_dir, db::Access::Read).await?;
            let result = status::run(&ctx, f.format).await;
            db::close(ctx.pool()).await;
            result.map(|()| ExitCode::SUCCESS)
        }
    }
}

/// The data directory's paths and its database.
async fn open(
    data_dir: Option<&Path>,
    access: db::Access,
) -> Result<(Paths, db::SqlitePool), CliError> {
    let paths = Paths::resolve(data_dir).map_err(CliError::failed)?;
    let pool = db::open_store(&paths, access)
        .await
        .map_err(CliError::failed)?;
    Ok((paths, pool))
}

/// What the API's operations take, for one command.
async fn open_ctx(data_dir: Option<&Path>, access: db::Access) -> Result<Ctx, CliError> {
    let (paths, pool) = open(data_dir, access).await?;
    Ok(Ctx::new(paths, pool, Arc::new(SystemClock)))
}

/// Reads a secret from the environment variable the user named (never from argv,
/// where other users could see it in the process list).
fn secret_from_env(var: &str) -> Result<String, CliError> {
    std::env::var(var)
        .map_err(|_| CliError::Usage(format!("environment variable {var} is not set")))
}
