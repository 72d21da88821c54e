//! The display-free command line (PRODUCT.md's contract). Each command opens only
//! what it needs (often just the database) on a small current-thread runtime.
//!
//! Exit codes: 0 success (also when the reader of stdout went away: see [`out`]),
//! 1 failure (e.g. a source failed to sync), 2 bad usage or input. Every error is one
//! line on stderr, clap's own included ([`parse_args`]), with control characters of
//! echoed names and values escaped ([`out::escape`]).
//!
//! - [`args`]: the clap definitions; [`agenda`]: `agenda`; [`accounts`]: CalDAV accounts;
//!   [`out`]: stdout and escaping.

pub mod accounts;
pub mod agenda;
pub mod args;
pub mod out;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Days, Utc};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use calendarbot_core::agenda as core_agenda;
use calendarbot_core::clock::system_zone;
use calendarbot_core::clock::SystemClock;
use calendarbot_core::model::Window;
use calendarbot_core::monitor::{self, Memory};
use calendarbot_core::paths::Paths;
use calendarbot_core::refresh::{self, OutcomeKind};
use calendarbot_core::secrets::{Preference, SecretStore};
use calendarbot_core::settings::{self, Settings};
use calendarbot_core::sources::{self, Auth, NewSource, SourceError};
use calendarbot_core::{autostart, backend, cache, db};

use args::{Cli, Command, NextArgs, NextFormat, SettingsCommand, SourcesCommand, TextOrJson};
use out::{escape, outln, Out};

use crate::{logging, menu_model};

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

impl From<settings::SettingsError> for CliError {
    fn from(e: settings::SettingsError) -> Self {
        match e {
            settings::SettingsError::Db(_) => Self::Failed(e.to_string()),
            _ => Self::Usage(e.to_string()),
        }
    }
}

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
            let pool = open_db(data_dir).await?;
            let result = agenda::from_cache(&pool, a).await;
            db::close(&pool).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Next(n) => {
            let pool = open_db(data_dir).await?;
            let result = next(&pool, n).await;
            db::close(&pool).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Settings(s) => {
            let (paths, pool) = open_paths_db(data_dir).await?;
            let result = settings_command(&paths, &pool, s).await;
            db::close(&pool).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Sources(c) => {
            let (paths, pool) = open_paths_db(data_dir).await?;
            let result = sources_command(&paths, &pool, c).await;
            db::close(&pool).await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Accounts(c) => {
            let (paths, pool) = open_paths_db(data_dir).await?;
            let result = accounts::run(&paths, &pool, c).await;
            db::close(&pool).await;
            result
        }
        Command::Sync => {
            let (paths, pool) = open_paths_db(data_dir).await?;
            let result = sync(&paths, &pool).await;
            db::close(&pool).await;
            result
        }
        Command::Status(f) => {
            let (paths, pool) = open_paths_db_for(data_dir, db::Access::Read).await?;
            let result = status(&paths, &pool, f.format).await;
            db::close(&pool).await;
            result.map(|()| ExitCode::SUCCESS)
        }
    }
}

async fn open_db(data_dir: Option<&Path>) -> Result<db::SqlitePool, CliError> {
    open_paths_db_for(data_dir, db::Access::Read)
        .await
        .map(|(_, pool)| pool)
}

async fn open_paths_db(data_dir: Option<&Path>) -> Result<(Paths, db::SqlitePool), CliError> {
    open_paths_db_for(data_dir, db::Access::Write).await
}

async fn open_paths_db_for(
    data_dir: Option<&Path>,
    access: db::Access,
) -> Result<(Paths, db::SqlitePool), CliError> {
    let paths = Paths::resolve(data_dir).map_err(CliError::failed)?;
    let pool = db::open_store(&paths, access)
        .await
        .map_err(CliError::failed)?;
    Ok((paths, pool))
}

async fn next(pool: &db::SqlitePool, n: NextArgs) -> Result<(), CliError> {
    let mut out = Out::new();
    let tz = system_zone();
    let now = Utc::now();
    let settings = Settings::load(pool).await?;
    let (calendars, _demo) = backend::load_calendars(pool)
        .await
        .map_err(CliError::failed)?;
    let today = now.with_timezone(&tz).date_naive();
    let window = Window {
        from: now - chrono::Duration::days(1),
        to: core_agenda::start_of_day(today + Days::new(8), tz),
    };
    let list = core_agenda::expand_all(&calendars, window, tz, &settings);
    let next = core_agenda::next_meeting(&list, now);
    let headline = next.map_or_else(
        || "No upcoming meetings".to_string(),
        |o| menu_model::headline(o, now, tz),
    );
    let line = match n.format {
        NextFormat::Text => headline,
        NextFormat::Json => serde_json::json!({
            "headline": headline,
            "next": next.map(|o| serde_json::json!({
                "uid": o.uid, "summary": o.summary, "start": o.start, "end": o.end,
                "source": o.source, "location": o.location, "join_url": o.join_url,
                "in_progress": o.in_progress(now),
            })),
        })
        .to_string(),
        NextFormat::Waybar => serde_json::json!({
            "text": headline,
            "tooltip": next.map(|o| format!("{} ({})", o.summary, o.source)).unwrap_or_default(),
            "class": match next { Some(o) if o.in_progress(now) => "current", Some(_) => "upcoming", None => "idle" },
        })
        .to_string(),
    };
    outln!(out, "{line}")?;
    out.finish()
}

async fn settings_command(
    paths: &Paths,
    pool: &db::SqlitePool,
    command: SettingsCommand,
) -> Result<(), CliError> {
    let mut out = Out::new();
    match command {
        SettingsCommand::Get { key: Some(key) } => {
            outln!(out, "{}", settings::get(pool, &key).await?)?
        }
        SettingsCommand::Get { key: None } => {
            for (key, value) in settings::all(pool).await? {
                outln!(out, "{key} = {value}")?;
            }
        }
        SettingsCommand::Set { key, value } => {
            let stored = settings::set(pool, &key, &value).await?;
            if key == autostart::SETTING {
                autostart::follow_setting(stored == "true", paths).map_err(|e| {
                    CliError::failed(format!(
                        "saved, but the autostart entry could not be written: {e}"
                    ))
                })?;
            }
            outln!(out, "{key} = {stored}")?;
        }
    }
    out.finish()
}

fn source_error(e: SourceError) -> CliError {
    match e {
        SourceError::Db(_) | SourceError::Secrets(_) => CliError::Failed(e.to_string()),
        other => CliError::Usage(other.to_string()),
    }
}

/// Reads a secret from the environment variable the user named (never from argv,
/// where other users could see it in the process list).
fn secret_from_env(var: &str) -> Result<String, CliError> {
    std::env::var(var)
        .map_err(|_| CliError::Usage(format!("environment variable {var} is not set")))
}

async fn sources_command(
    paths: &Paths,
    pool: &db::SqlitePool,
    command: SourcesCommand,
) -> Result<(), CliError> {
    let mut out = Out::new();
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::Auto);
    match command {
        SourcesCommand::List(f) => {
            let list = sources::list(pool).await.map_err(source_error)?;
            match f.format {
                TextOrJson::Json => outln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(CliError::failed)?
                )?,
                TextOrJson::Text if list.is_empty() => {
                    outln!(out, "no sources (the demo calendar is shown)")?
                }
                TextOrJson::Text => {
                    for s in list {
                        let state = if s.enabled { "" } else { "  (disabled)" };
                        outln!(
                            out,
                            "{:>3}  {}  {}  [{}]{state}",
                            s.id,
                            escape(&s.name),
                            escape(&s.display),
                            s.auth.as_str()
                        )?;
                    }
                }
            }
        }
        SourcesCommand::Add(a) => {
            let auth = if let (Some(user), Some(var)) = (&a.user, &a.password_env) {
                Auth::Basic {
                    user: user.clone(),
                    password: secret_from_env(var)?,
                }
            } else if let Some(var) = &a.bearer_env {
                Auth::Bearer {
                    token: secret_from_env(var)?,
                }
            } else if !a.headers.is_empty() {
                let headers = a
                    .headers
                    .iter()
                    .map(|h| {
                        h.split_once(':')
                            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                            .filter(|(k, _)| !k.is_empty())
                            .ok_or_else(|| {
                                CliError::Usage("--header must look like 'Name: value'".into())
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Auth::Headers { headers }
            } else {
                Auth::None
            };
            let new = NewSource {
                location: a.location,
                name: a.name,
                color: a.color,
                auth,
                interval_minutes: None,
                muted: a.no_reminders,
                lead_minutes: a.lead_minutes,
            };
            if let sources::Location::File(path) =
                sources::parse_location(&new.location).map_err(source_error)?
            {
                sources::check_calendar_file(&path).map_err(source_error)?;
            }
            let source = sources::add(pool, &secrets, new)
                .await
                .map_err(source_error)?;
            let store = source
                .secret_store
                .map(|k| format!("; credentials {}", k.describe()))
                .unwrap_or_default();
            outln!(
                out,
                "added source {} \"{}\" ({}){store}",
                source.id,
                escape(&source.name),
                escape(&source.display)
            )?;
        }
        SourcesCommand::Remove { id_or_name } => {
            let source = sources::find(pool, &id_or_name)
                .await
                .map_err(source_error)?;
            sources::remove(pool, &secrets, source.id)
                .await
                .map_err(source_error)?;
            outln!(
                out,
                "removed source {} \"{}\"",
                source.id,
                escape(&source.name)
            )?;
        }
    }
    out.finish()
}

async fn sync(paths: &Paths, pool: &db::SqlitePool) -> Result<ExitCode, CliError> {
    let mut out = Out::new();
    let deps = backend::pipeline_deps(paths, pool.clone(), Arc::new(SystemClock))
        .await
        .map_err(CliError::failed)?;
    let outcomes = refresh::sync(deps).await.map_err(CliError::failed)?;
    let mut failed = false;
    for o in &outcomes {
        failed |= o.is_failure();
        let what = match &o.kind {
            OutcomeKind::Updated { events } => format!("updated, {events} events"),
            OutcomeKind::NotModified => "not modified".to_string(),
            OutcomeKind::Failed { message, .. } => format!("FAILED: {message}"),
            OutcomeKind::Skipped { message, .. } => format!("skipped: {message}"),
            OutcomeKind::Cancelled => "cancelled".to_string(),
        };
        outln!(out, "{}: {}", escape(&o.name), escape(&what))?;
    }
    if outcomes.is_empty() {
        outln!(
            out,
            "no sources to sync (add one with `calendarbot sources add URL`)"
        )?;
    }
    out.finish()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Source health from the cache, and, when the tray app is running on this data
/// directory, its tasks (as it last published them) and its memory (read live).
async fn status(paths: &Paths, pool: &db::SqlitePool, format: TextOrJson) -> Result<(), CliError> {
    let mut out = Out::new();
    let settings = Settings::load(pool).await?;
    let health = cache::health(pool, Utc::now(), &settings)
        .await
        .map_err(CliError::failed)?;
    let notifications = calendarbot_core::reminders::health::read(pool)
        .await
        .map_err(CliError::failed)?;
    // The app's memory now; its last published figure if /proc cannot be read.
    let app = monitor::read_snapshot(&paths.runtime_status()).map(|snap| {
        let memory = Memory::of(snap.pid).unwrap_or(snap.tasks.memory);
        (snap, memory)
    });
    match format {
        TextOrJson::Json => {
            let app = app.map(|(snap, memory)| {
                serde_json::json!({
                    "pid": snap.pid,
                    "memory": memory,
                    "tasks": snap.tasks,
                    "tasks_as_of": snap.written_at,
                })
            });
            let doc = serde_json::json!({
                "sources": health,
                "app": app,
                "notifications": notifications,
                "version": env!("CARGO_PKG_VERSION"),
            });
            outln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).map_err(CliError::failed)?
            )?;
        }
        TextOrJson::Text => {
            match &app {
                Some((snap, memory)) => {
                    outln!(out,
                        "CalendarBot is running (pid {}): {:.1} MB resident, {:.1} MB anonymous, {} tasks active, {}/{} blocking jobs running/run",
                        snap.pid,
                        memory.rss_bytes as f64 / 1e6,
                        memory.anon_bytes as f64 / 1e6,
                        snap.tasks.active.len(),
                        snap.tasks.blocking_in_flight,
                        snap.tasks.blocking_total,
                    )?;
                    for t in &snap.tasks.active {
                        outln!(
                            out,
                            "    task {} (since {})",
                            t.name,
                            t.started_at.to_rfc3339()
                        )?;
                    }
                }
                None => outln!(out, "CalendarBot is not running")?,
            }
            if let Some(problem) = notifications.problem() {
                println!("{problem}");
            }
            if health.is_empty() {
                outln!(out, "no sources configured: showing the demo calendar")?;
            }
            for h in health {
                let last = h
                    .last_success
                    .map_or_else(|| "never".to_string(), |t| t.to_rfc3339());
                // A source never fetched is pending, not "stale" as well.
                let stale = if h.stale && h.last_success.is_some() {
                    ", stale"
                } else {
                    ""
                };
                outln!(
                    out,
                    "{} [{}{stale}] last success: {last}, {} events, circuit {}",
                    out::escape(&h.name),
                    h.status,
                    h.event_count,
                    h.circuit.as_str()
                )?;
                if let Some(e) = h.last_error {
                    outln!(out, "    last error: {e}")?;
                }
            }
        }
    }
    out.finish()
}
