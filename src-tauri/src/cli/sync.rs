//! `calendarbot sync`: refresh every enabled source once, through the app's pipeline;
//! exit 1 if any failed.

use std::process::ExitCode;
use std::sync::Arc;

use calendarbot_core::backend;
use calendarbot_core::clock::SystemClock;
use calendarbot_core::db;
use calendarbot_core::paths::Paths;
use calendarbot_core::refresh::{self, OutcomeKind};

use super::out::{escape, outln, Out};
use super::CliError;

pub async fn run(paths: &Paths, pool: &db::SqlitePool) -> Result<ExitCode, CliError> {
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
