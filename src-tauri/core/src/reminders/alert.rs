//! The at-start reminder window (`notify.alert_window`, MeetingBar's full-screen reminder):
//! what it shows and what the user can do in it.
//!
//! The scheduler decides when it opens (an at-start reminder claimed for the first time or
//! back from a snooze) and carries out its actions exactly like a notification's, so the
//! window and the notification of one meeting always agree: acting on either closes both.
//! The shell only opens and closes the window; the page reads [`Alert`] and answers with
//! an [`AlertAction`]. The meeting link never crosses into the page: Join goes back
//! through the scheduler, which holds it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::content::clean_line as clean;
use super::notifier::Action;
use super::plan::Reminder;
use crate::timefmt::TimeFormat;

/// What the reminder window shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Alert {
    /// The meeting's title, made safe like a notification's.
    pub title: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// "14:00–14:30" in the user's zone and clock.
    pub when: String,
    pub location: Option<String>,
    /// The calendar's name and colour.
    pub calendar: String,
    pub color: Option<String>,
    /// Whether Join can do anything.
    pub has_link: bool,
    /// The Snooze buttons, in minutes.
    pub snooze_minutes: Vec<u16>,
}

/// What the user did in the reminder window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AlertAction {
    Join,
    Snooze {
        minutes: u16,
    },
    /// The Dismiss button or Escape.
    Dismiss,
}

impl AlertAction {
    /// The same action on a notification.
    pub fn as_notification_action(self) -> Action {
        match self {
            AlertAction::Join => Action::Join,
            AlertAction::Snooze { minutes } => Action::Snooze(minutes),
            AlertAction::Dismiss => Action::Dismiss,
        }
    }
}

impl Alert {
    pub fn of(r: &Reminder, tz: Tz, snooze_minutes: &[u16]) -> Self {
        let o = &r.occurrence;
        let title = clean(&o.summary);
        let location = o.location.as_deref().map(clean).filter(|l| !l.is_empty());
        Self {
            title: if title.is_empty() {
                "(no title)".into()
            } else {
                title
            },
            start: o.start,
            end: o.end,
            when: TimeFormat::current()
                .time_range(&o.start.with_timezone(&tz), &o.end.with_timezone(&tz)),
            location,
            calendar: clean(&o.source),
            color: o.color.clone(),
            has_link: o.join_url.is_some(),
            snooze_minutes: snooze_minutes.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Occurrence;
    use crate::reminders::plan::AlarmId;
    use chrono::TimeZone;

    #[test]
    fn the_window_gets_clean_text_and_no_link() {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 13, 0, 0).unwrap();
        let mut o = Occurrence::timed(
            "Work\u{202e}",
            "u",
            "<b>Review</b>\u{0}",
            start,
            start + chrono::Duration::minutes(30),
        );
        o.join_url = Some("https://meet.example/x".into());
        let r = Reminder {
            occurrence: o,
            alarm: AlarmId::Start,
            due: start,
            snoozed: false,
            retry: false,
        };
        let a = Alert::of(&r, Tz::UTC, &[5, 10]);
        assert_eq!(a.title, "<b>Review</b>");
        assert_eq!(a.calendar, "Work");
        assert!(a.has_link);
        let json = serde_json::to_string(&a).unwrap();
        assert!(!json.contains("meet.example"), "{json}");
    }
}
