//! The side effect of the reminder scheduler: showing a desktop notification.
//!
//! The scheduler only talks to the [`Notifier`] trait, so its tests run with a
//! [`RecordingNotifier`] and no session bus; the app uses [`super::dbus::DbusNotifier`].
//! User actions on a shown notification come back as [`NotifierEvent`]s on a tokio channel
//! whose receiver the scheduler owns.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use crate::clock::Clock;

/// The id the notification server gave a shown notification.
pub type NotificationId = u32;

/// A button the scheduler would like on a notification. A notifier drops them all when the
/// server does not advertise the "actions" capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Join,
    /// Snooze for this many minutes (`notify.snooze_minutes` lists the buttons).
    Snooze(u16),
    Dismiss,
}

impl Action {
    /// The action key sent over D-Bus (`ActionInvoked`); stable, never shown.
    pub fn key(self) -> String {
        match self {
            Action::Join => "join".into(),
            Action::Snooze(m) => format!("snooze-{m}"),
            Action::Dismiss => "dismiss".into(),
        }
    }

    /// The button label.
    pub fn label(self) -> String {
        match self {
            Action::Join => "Join".into(),
            Action::Snooze(m) => format!("Snooze {m} min"),
            Action::Dismiss => "Dismiss".into(),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "join" => Some(Action::Join),
            "dismiss" => Some(Action::Dismiss),
            _ => key
                .strip_prefix("snooze-")
                .and_then(|m| m.parse().ok())
                .filter(|m| (1..=MAX_SNOOZE_MINUTES).contains(m))
                .map(Action::Snooze),
        }
    }
}

/// The longest snooze a button may offer (a day).
pub const MAX_SNOOZE_MINUTES: u16 = 1440;

/// What to show. Text is plain text: a notifier that talks to a markup-capable server
/// escapes it, so a SUMMARY like `<b>x</b>` is shown literally (case 57).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub title: String,
    pub body: String,
    /// Buttons wanted, in order; a click on the notification itself ("default") is always
    /// wired to "open the window".
    pub actions: Vec<Action>,
    /// Show as urgent (a reminder marked late or the missed summary is not: only
    /// at-start reminders are).
    pub urgent: bool,
}

/// Something the user did with a shown notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifierEvent {
    /// One of the buttons.
    Action { id: NotificationId, action: Action },
    /// A click on the notification body: open the window.
    Default { id: NotificationId },
    /// The server closed it (expired, dismissed by the user, or closed by us).
    Closed { id: NotificationId },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    #[error("no D-Bus session bus: {0}")]
    NoSessionBus(String),
    #[error("notification server error: {0}")]
    Server(String),
    #[error("the notifier thread has stopped")]
    Stopped,
}

/// Shows notifications. Implementations must not block the calling async worker: the
/// D-Bus one hands the call to its own thread.
pub trait Notifier: Send + Sync + 'static {
    /// Shows one notification and returns the server's id for it.
    fn show(
        &self,
        notification: Notification,
    ) -> BoxFuture<'static, Result<NotificationId, NotifyError>>;
}

/// Removes Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C),
/// which let a feed reverse how a title reads (case 54).
pub fn strip_bidi(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
            )
        })
        .collect()
}

/// Escapes the three characters the notification spec's body markup gives meaning to
/// (case 57). Only needed when the server advertises "body-markup".
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// One notification a [`RecordingNotifier`] was asked to show, with when.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: NotificationId,
    /// The injected wall clock at the call.
    pub at: DateTime<Utc>,
    /// The real monotonic instant of the call (for lateness measurements).
    pub instant: std::time::Instant,
    pub notification: Notification,
}

/// A notifier for tests and benchmarks: records every call, shows nothing.
#[derive(Clone)]
pub struct RecordingNotifier {
    clock: Arc<dyn Clock>,
    shown: Arc<Mutex<Vec<Shown>>>,
}

impl RecordingNotifier {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            shown: Arc::default(),
        }
    }

    /// Everything shown so far, in order.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn count(&self) -> usize {
        self.shown.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Notifier for RecordingNotifier {
    fn show(
        &self,
        notification: Notification,
    ) -> BoxFuture<'static, Result<NotificationId, NotifyError>> {
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        let id = shown.len() as NotificationId + 1;
        shown.push(Shown {
            id,
            at: self.clock.now(),
            instant: std::time::Instant::now(),
            notification,
        });
        Box::pin(std::future::ready(Ok(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_stripped() {
        assert_eq!(strip_bidi("ab\u{202E}cd\u{2066}e\u{200F}"), "abcde");
        assert_eq!(strip_bidi("東京 📅 é"), "東京 📅 é");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape_markup("<b>x</b> & <a href=y>"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=y&gt;"
        );
    }

    #[test]
    fn action_keys_round_trip() {
        for a in [
            Action::Join,
            Action::Snooze(5),
            Action::Snooze(10),
            Action::Snooze(1),
            Action::Dismiss,
        ] {
            assert_eq!(Action::from_key(&a.key()), Some(a));
        }
        for other in ["default", "snooze-0", "snooze-99999", "snooze-x", "snooze-"] {
            assert_eq!(Action::from_key(other), None, "{other}");
        }
    }
}
