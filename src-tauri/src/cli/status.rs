//! `calendarbot status`: source health from the cache, and, when the tray app is running
//! on this data directory, its tasks (as it last published them), its memory (read
//! live) and its failing background loops, one line each.

use calendarbot_core::api::diagnostics::VERSION;
use calendarbot_core::api::status::{self as api, RunningApp};
use calendarbot_core::api::Ctx;

use super::args::TextOrJson;
use super::out::{escape, outln, Out};
use super::CliError;

pub async fn run(ctx: &Ctx, format: TextOrJson) -> Result<(), CliError> {
    let mut out = Out::new();
    let api::Status {
        sources: health,
        notifications,
        app,
    } = api::status(ctx).await?;
    match format {
        TextOrJson::Json => {
            let app = app.map(|a| {
                serde_json::json!({
                    "pid": a.snapshot.pid,
                    "memory": a.memory,
                    "tasks": a.snapshot.tasks,
                    "tasks_as_of": a.snapshot.written_at,
                    "failing_loops": a.failing_loops,
                })
            });
            let doc = serde_json::json!({
                "sources": health,
                "app": app,
                "notifications": notifications,
                "version": VERSION,
            });
            out.json(&doc)?;
        }
        TextOrJson::Text => {
            match &app {
                Some(RunningApp {
                    snapshot: snap,
                    memory,
                    failing_loops,
                }) => {
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
                    for problem in failing_loops.iter().filter_map(|l| l.problem()) {
                        outln!(out, "{}", escape(&problem))?;
                    }
                }
                None => outln!(out, "CalendarBot is not running")?,
            }
            if let Some(problem) = notifications.problem() {
                outln!(out, "{problem}")?;
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
                    escape(&h.name),
                    h.status,
                    h.event_count,
                    h.circuit.as_str()
                )?;
                if let Some(e) = h.last_error {
                    outln!(out, "    last error: {e}")?;
                }
                if let Some(cut) = h.cut {
                    outln!(out, "    shown in part: {cut}")?;
                }
            }
        }
    }
    out.finish()
}
