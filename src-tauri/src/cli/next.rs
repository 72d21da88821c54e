//! `calendarbot next`: the next meeting, for scripts and status bars (text, JSON or
//! Waybar's JSON), worded as the tray words it.

use calendarbot_core::api::{self, agenda::NO_MEETINGS, Ctx};
use calendarbot_core::menu_model;

use super::args::{NextArgs, NextFormat};
use super::out::{outln, Out};
use super::CliError;

pub async fn run(ctx: &Ctx, n: NextArgs) -> Result<(), CliError> {
    let mut out = Out::new();
    let api::agenda::NextMeeting { now, tz, next, .. } = api::agenda::next(ctx).await?;
    let next = next.as_ref();
    let headline = next.map_or_else(
        || NO_MEETINGS.to_string(),
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
