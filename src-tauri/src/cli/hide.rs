//! `calendarbot hide list|add|remove`: the hide rules the window's event details make
//! (see `calendarbot_core::api::hide`). An event is named as `agenda --format json`
//! shows it: its calendar (`source`), its `uid` and, for one occurrence, its
//! `recurrence_id` (`--at`).

use clap::{Args, Subcommand};

use calendarbot_core::agenda;
use calendarbot_core::api::hide::{self as api, HiddenView, HideInput};
use calendarbot_core::api::sources as sources_api;
use calendarbot_core::api::Ctx;
use calendarbot_core::clock::system_zone;

use super::args::{FormatArgs, TextOrJson};
use super::out::{escape, outln, Out};
use super::CliError;

#[derive(Debug, Subcommand)]
pub enum HideCommand {
    /// List what is hidden.
    List(FormatArgs),
    /// Hide an event's occurrences from the tray, the window and reminders.
    Add(HideAddArgs),
    /// Show a hidden event again, by the id `hide list` shows.
    Remove {
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct HideAddArgs {
    /// The event's calendar, by id or name (`source` in `agenda --format json`).
    #[arg(long, value_name = "ID_OR_NAME")]
    pub source: String,
    /// The event's UID (`uid` in `agenda --format json`).
    #[arg(long)]
    pub uid: String,
    /// Only the occurrence whose original start (`recurrence_id`, or `start` for an
    /// event that does not repeat) is WHEN: an RFC 3339 date-time, or a date for an
    /// all-day one. Without it: every occurrence (the whole series).
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
}

/// "all occurrences", or the occurrence's original start.
fn scope(h: &HiddenView) -> String {
    h.recurrence_id.map_or_else(
        || "all occurrences".to_string(),
        |t| format!("the occurrence of {}", t.format("%Y-%m-%dT%H:%M:%SZ")),
    )
}

pub async fn run(ctx: &Ctx, command: HideCommand) -> Result<(), CliError> {
    let mut out = Out::new();
    match command {
        HideCommand::List(f) => {
            let list = api::list(ctx).await?;
            match f.format {
                TextOrJson::Json => out.json(&list)?,
                TextOrJson::Text if list.is_empty() => outln!(out, "nothing is hidden")?,
                TextOrJson::Text => {
                    for h in &list {
                        outln!(
                            out,
                            "{:>3}  {}  \"{}\"  {}  [{}]",
                            h.id,
                            escape(&h.source),
                            escape(&h.title),
                            scope(h),
                            escape(&h.uid)
                        )?;
                    }
                }
            }
        }
        HideCommand::Add(a) => {
            let source = sources_api::list(ctx)
                .await?
                .into_iter()
                .find(|s| s.id.to_string() == a.source || s.name == a.source)
                .ok_or_else(|| {
                    CliError::Usage(format!("no source with id or name '{}'", escape(&a.source)))
                })?;
            let recurrence_id =
                a.at.as_deref()
                    .map(|w| agenda::parse_when(w, system_zone()))
                    .transpose()
                    .map_err(|e| CliError::Usage(format!("--at: {e}")))?;
            let input = HideInput {
                source_id: source.id,
                uid: a.uid,
                recurrence_id,
                title: None,
            };
            let h = api::hide(ctx, input).await?;
            outln!(
                out,
                "hid \"{}\" in {} ({}): rule {}",
                escape(&h.title),
                escape(&h.source),
                scope(&h),
                h.id
            )?;
        }
        HideCommand::Remove { id } => {
            let h = api::unhide(ctx, id).await?;
            outln!(
                out,
                "unhid \"{}\" in {} (rule {})",
                escape(&h.title),
                escape(&h.source),
                h.id
            )?;
        }
    }
    out.finish()
}
