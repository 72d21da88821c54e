//! `calendarbot join`: opens the link of the meeting "Join next meeting" means, by the
//! core's one rule (`agenda::join_target`, as the tray's Join), read from the cache so it
//! works without the tray app: for a window manager's keyboard shortcut. Exits 1 with one
//! line when there is nothing to join.

use calendarbot_core::api::{self, Ctx};
use calendarbot_core::opener;

use super::args::JoinArgs;
use super::out::{escape, outln, Out};
use super::CliError;

pub async fn run(ctx: &Ctx, j: JoinArgs) -> Result<(), CliError> {
    let api::agenda::NextMeeting { join, .. } = api::agenda::next(ctx).await?;
    let Some(meeting) = join else {
        return Err(CliError::Failed(
            "no meeting with a link to join today".into(),
        ));
    };
    let Some(url) = meeting.join_url.as_deref() else {
        return Err(CliError::Failed("this meeting has no link to join".into()));
    };
    let mut out = Out::new();
    if j.print {
        outln!(out, "{url}")?;
    } else {
        opener::open(url).map_err(|e| CliError::Failed(format!("cannot open the link: {e}")))?;
        outln!(out, "Joining {}", escape(&meeting.summary))?;
    }
    out.finish()
}
