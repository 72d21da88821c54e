//! Acting rather than reading: refresh now, pause and resume notifications, join the
//! next meeting, the reminder window's content and actions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::backend::Backend;
use crate::reminders::{Alert, AlertAction, PauseFor};

use super::error::{ApiError, ApiResult, Code};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
pub enum PauseMode {
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "tomorrow")]
    Tomorrow,
    #[serde(rename = "resume")]
    Resume,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PauseState {
    pub paused_until: Option<DateTime<Utc>>,
}

/// "Refresh now" from the tray or the window.
pub fn refresh_now(backend: &Backend) {
    backend.refresh_now();
}

/// Pause or resume notifications (the window and the tray).
pub async fn pause(backend: &Backend, mode: PauseMode) -> ApiResult<PauseState> {
    let reminders = backend.reminders().ok_or_else(|| {
        ApiError::new(
            Code::NotificationsUnavailable,
            "no notification server is running",
        )
    })?;
    let paused_until = match mode {
        PauseMode::OneHour => Some(
            reminders
                .pause(PauseFor::OneHour)
                .await
                .map_err(ApiError::internal)?,
        ),
        PauseMode::Tomorrow => Some(
            reminders
                .pause(PauseFor::UntilTomorrow)
                .await
                .map_err(ApiError::internal)?,
        ),
        PauseMode::Resume => {
            reminders.resume().await.map_err(ApiError::internal)?;
            None
        }
    };
    Ok(PauseState { paused_until })
}

/// What the reminder window shows; `None` when its meeting was acted on (it then closes).
pub fn alert(backend: &Backend) -> Option<Alert> {
    backend.reminders().and_then(|r| r.alert())
}

/// Join, Snooze or Dismiss from the reminder window: carried out by the scheduler exactly
/// as on the meeting's notification, which closes too.
pub fn act_on_alert(backend: &Backend, action: AlertAction) -> ApiResult<()> {
    let reminders = backend.reminders().ok_or_else(|| {
        ApiError::new(Code::NotificationsUnavailable, "reminders are not running")
    })?;
    reminders.act_on_alert(action);
    Ok(())
}

/// "Join next meeting" (the tray, a shortcut, the API): opens the link of the meeting
/// [`crate::agenda::join_target`] picks on the live agenda, with `open` (the shell's
/// allow-listed opener). Returns the key of the meeting joined.
pub async fn join_next<E>(
    backend: &Backend,
    open: impl FnOnce(&str) -> Result<(), E> + Send + 'static,
) -> ApiResult<String>
where
    E: std::fmt::Display + Send + 'static,
{
    let snapshot = backend.agenda();
    let now = backend.clock().now();
    let key = crate::agenda::join_target(&snapshot.occurrences, now, snapshot.tz)
        .map(crate::model::Occurrence::key)
        .ok_or_else(|| ApiError::new(Code::NoLink, "no meeting with a link to join today"))?;
    super::agenda::join(backend, &key, open).await?;
    Ok(key)
}
