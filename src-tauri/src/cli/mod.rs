//! The display-free command line (PRODUCT.md's contract). Each command opens only
//! what it needs (often just the database) on a small current-thread runtime.
//!
//! Exit codes: 0 success, 1 failure (e.g. a source failed to sync), 2 bad usage or input.

pub mod accounts;
pub mod args;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{Days, Utc};
use chrono_tz::Tz;

use calendarbot_core::agenda::{self, SourceCalendar};
use calendarbot_core::clock::system_zone;
use calendarbot_core::clock::SystemClock;
use calendarbot_core::model::Window;
use calendarbot_core::monitor::{self, Memory};
use calendarbot_core::paths::Paths;
use calendarbot_core::refresh::{self, OutcomeKind};
use calendarbot_core::secrets::{Preference, SecretStore};
use calendarbot_core::settings::{self, Settings};
use calendarbot_core::sources::{self, Auth, NewSource, SourceError};
use calendarbot_core::{autostart, backend, cache, db, ics};

use args::{
    AgendaArgs, AgendaFormat, Command, NextArgs, NextFormat, SettingsCommand, SourcesCommand,
    TextOrJson,
};

use crate::{logging, menu_model};

/// A command's failure: what to print and which exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or input: exit 2.
    Usage(String),
    /// The command could not do its job: exit 1.
    Failed(String),
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

pub fn run(data_dir: Option<&Path>, command: Command) -> ExitCode {
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
            eprintln!("calendarbot: {msg}");
            ExitCode::from(2)
        }
        CliError::Failed(msg) => {
            eprintln!("calendarbot: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(data_dir: Option<&Path>, command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Agenda(a) if !a.ics.is_empty() => agenda_from_files(a).map(|()| ExitCode::SUCCESS),
        Command::Agenda(a) => {
            let pool = open_db(data_dir).await?;
            let result = agenda_from_cache(&pool, a).await;
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

fn zone(tz: Option<&str>) -> Result<Tz, CliError> {
    match tz {
        None => Ok(system_zone()),
        Some(name) => name.parse().map_err(|_| {
            CliError::Usage(format!(
                "unknown time zone '{name}' (use an IANA name like Europe/Berlin)"
            ))
        }),
    }
}

fn window(a: &AgendaArgs, tz: Tz) -> Result<Window, CliError> {
    let from = match &a.from {
        Some(w) => agenda::parse_when(w, tz).map_err(CliError::Usage)?,
        None => agenda::start_of_day(Utc::now().with_timezone(&tz).date_naive(), tz),
    };
    let to = match &a.to {
        Some(w) => agenda::parse_when(w, tz).map_err(CliError::Usage)?,
        None => from + chrono::Duration::days(7),
    };
    if to <= from {
        return Err(CliError::Usage("--to must be after --from".into()));
    }
    Ok(Window { from, to })
}

fn agenda_from_files(a: AgendaArgs) -> Result<(), CliError> {
    let tz = zone(a.tz.as_deref())?;
    let window = window(&a, tz)?;
    let mut calendars = Vec::new();
    for path in &a.ics {
        let body = std::fs::read(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
        let calendar = ics::parse_feed(&body)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        for warning in &calendar.meta.warnings {
            tracing::warn!(file = %path.display(), "{warning}");
        }
        let name = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        calendars.push(SourceCalendar {
            source_id: None,
            name,
            calendar,
        });
    }
    let list = agenda::expand_all(&calendars, window, tz, &Settings::default());
    print_agenda(&list, a.format, tz)
}

async fn agenda_from_cache(pool: &db::SqlitePool, a: AgendaArgs) -> Result<(), CliError> {
    let tz = zone(a.tz.as_deref())?;
    let window = window(&a, tz)?;
    let settings = Settings::load(pool).await?;
    let (calendars, _demo) = backend::load_calendars(pool)
        .await
        .map_err(CliError::failed)?;
    let list = agenda::expand_all(&calendars, window, tz, &settings);
    print_agenda(&list, a.format, tz)
}

fn print_agenda(
    list: &[calendarbot_core::model::Occurrence],
    format: AgendaFormat,
    tz: Tz,
) -> Result<(), CliError> {
    let out = match format {
        AgendaFormat::Jsonl => ics::output::to_jsonl(list),
        AgendaFormat::Json => ics::output::to_json(list),
        AgendaFormat::Text => ics::output::to_text(list, tz),
    };
    print!("{out}");
    Ok(())
}

async fn next(pool: &db::SqlitePool, n: NextArgs) -> Result<(), CliError> {
    let tz = system_zone();
    let now = Utc::now();
    let settings = Settings::load(pool).await?;
    let (calendars, _demo) = backend::load_calendars(pool)
        .await
        .map_err(CliError::failed)?;
    let today = now.with_timezone(&tz).date_naive();
    let window = Window {
        from: now - chrono::Duration::days(1),
        to: agenda::start_of_day(today + Days::new(8), tz),
    };
    let list = agenda::expand_all(&calendars, window, tz, &settings);
    let next = agenda::next_meeting(&list, now);
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
    println!("{line}");
    Ok(())
}

async fn settings_command(
    paths: &Paths,
    pool: &db::SqlitePool,
    command: SettingsCommand,
) -> Result<(), CliError> {
    match command {
        SettingsCommand::Get { key: Some(key) } => println!("{}", settings::get(pool, &key).await?),
        SettingsCommand::Get { key: None } => {
            for (key, value) in settings::all(pool).await? {
                println!("{key} = {value}");
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
            println!("{key} = {stored}");
        }
    }
    Ok(())
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
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::Auto);
    match command {
        SourcesCommand::List(f) => {
            let list = sources::list(pool).await.map_err(source_error)?;
            match f.format {
                TextOrJson::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(CliError::failed)?
                ),
                TextOrJson::Text if list.is_empty() => {
                    println!("no sources (the demo calendar is shown)")
                }
                TextOrJson::Text => {
                    for s in list {
                        let state = if s.enabled { "" } else { "  (disabled)" };
                        println!(
                            "{:>3}  {}  {}  [{}]{state}",
                            s.id,
                            s.name,
                            s.display,
                            s.auth.as_str()
                        );
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
            let source = sources::add(pool, &secrets, new)
                .await
                .map_err(source_error)?;
            let store = source
                .secret_store
                .map(|k| format!("; credentials {}", k.describe()))
                .unwrap_or_default();
            println!(
                "added source {} \"{}\" ({}){store}",
                source.id, source.name, source.display
            );
        }
        SourcesCommand::Remove { id_or_name } => {
            let source = sources::find(pool, &id_or_name)
                .await
                .map_err(source_error)?;
            sources::remove(pool, &secrets, source.id)
                .await
                .map_err(source_error)?;
            println!("removed source {} \"{}\"", source.id, source.name);
        }
    }
    Ok(())
}

async fn sync(paths: &Paths, pool: &db::SqlitePool) -> Result<ExitCode, CliError> {
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
        println!("{}: {what}", o.name);
    }
    if outcomes.is_empty() {
        println!("no sources to sync (add one with `calendarbot sources add URL`)");
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Source health from the cache, and, when the tray app is running on this data
/// directory, its tasks (as it last published them) and its memory (read live).
async fn status(paths: &Paths, pool: &db::SqlitePool, format: TextOrJson) -> Result<(), CliError> {
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
            let out = serde_json::json!({
                "sources": health,
                "app": app,
                "notifications": notifications,
                "version": env!("CARGO_PKG_VERSION"),
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(CliError::failed)?
            );
        }
        TextOrJson::Text => {
            match &app {
                Some((snap, memory)) => {
                    println!(
                        "CalendarBot is running (pid {}): {:.1} MB resident, {:.1} MB anonymous, {} tasks active, {}/{} blocking jobs running/run",
                        snap.pid,
                        memory.rss_bytes as f64 / 1e6,
                        memory.anon_bytes as f64 / 1e6,
                        snap.tasks.active.len(),
                        snap.tasks.blocking_in_flight,
                        snap.tasks.blocking_total,
                    );
                    for t in &snap.tasks.active {
                        println!("    task {} (since {})", t.name, t.started_at.to_rfc3339());
                    }
                }
                None => println!("CalendarBot is not running"),
            }
            if let Some(problem) = notifications.problem() {
                println!("{problem}");
            }
            if health.is_empty() {
                println!("no sources configured: showing the demo calendar");
            }
            for h in health {
                let last = h
                    .last_success
                    .map_or_else(|| "never".to_string(), |t| t.to_rfc3339());
                let stale = if h.stale { ", STALE" } else { "" };
                println!(
                    "{} [{}{stale}] last success: {last}, {} events, circuit {:?}",
                    h.name, h.status, h.event_count, h.circuit
                );
                if let Some(e) = h.last_error {
                    println!("    last error: {e}");
                }
            }
        }
    }
    Ok(())
}
