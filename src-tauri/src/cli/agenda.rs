//! `calendarbot agenda`: occurrences in a window, from the cache or from ICS files, in
//! one of the output formats of [`ics::output`], written through one buffered writer.

use std::path::PathBuf;

use chrono::Utc;
use chrono_tz::Tz;

use calendarbot_core::agenda::{self, SourceCalendar};
use calendarbot_core::clock::system_zone;
use calendarbot_core::model::{Occurrence, Window};
use calendarbot_core::settings::Settings;
use calendarbot_core::{backend, db, ics};

use super::args::{AgendaArgs, AgendaFormat};
use super::out::{escape, write_error, Out};
use super::CliError;

pub fn zone(tz: Option<&str>) -> Result<Tz, CliError> {
    match tz {
        None => Ok(system_zone()),
        Some(name) => name.parse().map_err(|_| {
            CliError::Usage(format!(
                "unknown time zone '{}' (use an IANA name like Europe/Berlin)",
                escape(name)
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

/// The `--ics` name that means standard input (`curl … | calendarbot agenda --ics -`).
const STDIN: &str = "-";

/// Reads and parses one `--ics` file, or standard input for `-`.
fn read_file(path: &PathBuf) -> Result<SourceCalendar, CliError> {
    let stdin = path.as_os_str() == STDIN;
    let shown = if stdin {
        "standard input".to_string()
    } else {
        escape(&path.display().to_string())
    };
    let read = if stdin {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut body).map(|_| body)
    } else {
        std::fs::read(path)
    };
    let body = read.map_err(|e| CliError::Usage(format!("cannot read {shown}: {e}")))?;
    let calendar = ics::parse_feed(&body).map_err(|e| CliError::Usage(format!("{shown}: {e}")))?;
    for warning in &calendar.meta.warnings {
        tracing::warn!(file = %shown, "{warning}");
    }
    let name = match path.file_stem() {
        _ if stdin => shown,
        Some(stem) => stem.to_string_lossy().into_owned(),
        None => path.display().to_string(),
    };
    Ok(SourceCalendar {
        source_id: None,
        name,
        calendar,
    })
}

pub fn from_files(a: AgendaArgs) -> Result<(), CliError> {
    let tz = zone(a.tz.as_deref())?;
    let window = window(&a, tz)?;
    if a.ics.iter().filter(|p| p.as_os_str() == STDIN).count() > 1 {
        return Err(CliError::Usage(
            "--ics - (standard input) can be given once".into(),
        ));
    }
    let calendars = a.ics.iter().map(read_file).collect::<Result<Vec<_>, _>>()?;
    let list = agenda::expand_all(&calendars, window, tz, &Settings::default());
    let printed = print(&list, a.format, tz);
    // The process ends right after this command: freeing a large feed's records and
    // occurrences one allocation at a time would only delay the exit (tens of ms on a
    // 10 MB feed); the kernel takes the memory back at once.
    std::mem::forget(calendars);
    std::mem::forget(list);
    printed
}

pub async fn from_cache(pool: &db::SqlitePool, a: AgendaArgs) -> Result<(), CliError> {
    let tz = zone(a.tz.as_deref())?;
    let window = window(&a, tz)?;
    // What the tray shows: hide rules and `events.declined = hide` apply (`--ics` files
    // have no database, so no rules).
    let inputs = backend::AgendaInputs::load(pool)
        .await
        .map_err(CliError::failed)?;
    let list = inputs.shown(window, tz);
    print(&list, a.format, tz)
}

fn print(list: &[Occurrence], format: AgendaFormat, tz: Tz) -> Result<(), CliError> {
    let mut out = Out::new();
    let w = out.writer();
    match format {
        AgendaFormat::Jsonl => ics::output::write_jsonl(w, list),
        AgendaFormat::Json => ics::output::write_json(w, list),
        AgendaFormat::Text => ics::output::write_text(w, list, tz),
        AgendaFormat::Ics => ics::output::write_ics(w, list, tz),
    }
    .map_err(write_error)?;
    out.finish()
}
