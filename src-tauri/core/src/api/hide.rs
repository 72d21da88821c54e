//! Hide rules (see [`crate::hide`]): hide one occurrence or a whole series, list the
//! rules with their calendar's name, unhide. Each change reaches the running app's
//! agenda at once (tray, window, reminders), through [`Ctx::data_changed`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ctx::Ctx;
use crate::hide::{self, HideRule};
use crate::{cache, sources};

use super::error::{ApiError, ApiResult, Code};

/// What to hide: an event of a calendar by its UID, and which occurrence.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(optional_fields)]
pub struct HideInput {
    pub source_id: i64,
    pub uid: String,
    /// The occurrence's RECURRENCE-ID (its original start, the `recurrence_id` of an
    /// occurrence); absent or `null`: every occurrence of the UID (the whole series).
    pub recurrence_id: Option<DateTime<Utc>>,
    /// The title shown in the list of hidden events; absent: the event's own, from the
    /// cache.
    pub title: Option<String>,
}

/// A rule as the window and `calendarbot hide list` show it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HiddenView {
    pub id: i64,
    pub source_id: i64,
    /// The calendar's name.
    pub source: String,
    pub uid: String,
    /// `None`: every occurrence (the whole series).
    pub recurrence_id: Option<DateTime<Utc>>,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

fn view(rule: HideRule, source: &str) -> HiddenView {
    HiddenView {
        id: rule.id,
        source_id: rule.source_id,
        source: source.to_string(),
        uid: rule.uid,
        recurrence_id: rule.recurrence_id,
        title: rule.title,
        created_at: rule.created_at,
    }
}

/// Hides an occurrence (with `recurrence_id`) or every occurrence of a UID. The event
/// must be in the calendar's cache (a typo in a UID is said, not stored); hiding twice
/// is one rule.
pub async fn hide(ctx: &Ctx, input: HideInput) -> ApiResult<HiddenView> {
    let source = sources::get(ctx.pool(), input.source_id).await?;
    let uid = input.uid.trim();
    if uid.is_empty() {
        return Err(ApiError::new(Code::InvalidValue, "give the event's UID"));
    }
    let calendar = cache::load_calendar(ctx.pool(), source.id).await?;
    let records: Vec<_> = calendar
        .iter()
        .flat_map(|c| c.events.iter())
        .filter(|e| e.uid == uid)
        .collect();
    if records.is_empty() {
        return Err(ApiError::new(
            Code::NotFound,
            format!(
                "calendar '{}' has no event with UID '{uid}' (calendarbot agenda --format json lists them)",
                source.name
            ),
        ));
    }
    let title = input
        .title
        .as_deref()
        .map(hide::tidy_title)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            // The series' own title: its master's (an override may have another).
            let master = records.iter().find(|e| e.recurrence_id.is_none());
            hide::tidy_title(&master.unwrap_or(&records[0]).summary)
        });
    let rule = hide::add(
        ctx.pool(),
        source.id,
        uid,
        input.recurrence_id,
        &title,
        ctx.clock().now(),
    )
    .await
    .map_err(ApiError::internal)?;
    ctx.data_changed();
    Ok(view(rule, &source.name))
}

/// Every rule, oldest first, with its calendar's name.
pub async fn list(ctx: &Ctx) -> ApiResult<Vec<HiddenView>> {
    let rules = hide::list(ctx.pool()).await.map_err(ApiError::internal)?;
    let sources = sources::list(ctx.pool()).await?;
    Ok(rules
        .into_iter()
        .map(|r| {
            let name = sources
                .iter()
                .find(|s| s.id == r.source_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            view(r, &name)
        })
        .collect())
}

/// Removes the rule `id` (the occurrences come back); returns it.
pub async fn unhide(ctx: &Ctx, id: i64) -> ApiResult<HiddenView> {
    let rule = hide::remove(ctx.pool(), id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("no hidden event with id {id}")))?;
    ctx.data_changed();
    let name = sources::get(ctx.pool(), rule.source_id)
        .await
        .map(|s| s.name)
        .unwrap_or_default();
    Ok(view(rule, &name))
}
