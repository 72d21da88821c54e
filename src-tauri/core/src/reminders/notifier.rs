//! The side effect of the reminder scheduler: showing a desktop notification.
//!
//! The scheduler only talks to the [`Notifier`] trait, so its tests run with a
//! [`RecordingNotifier`] and no session bus; the app uses [`super::desktop::DesktopNotifier`]
//! (notify-rust).
//! User actions on a shown notification come back as [`NotifierEvent`]s on a tokio channel
//! whose receiver the scheduler owns.

use std::collections::VecDeque;
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
    /// Open the window (the burst summary's button).
    Open,
}

impl Action {
    /// The action key sent over D-Bus (`ActionInvoked`); stable, never shown.
    pub fn key(self) -> String {
        match self {
            Action::Join => "join".into(),
            Action::Snooze(m) => format!("snooze-{m}"),
            Action::Dismiss => "dismiss".into(),
            Action::Open => "open".into(),
        }
    }

    /// The button label.
    pub fn label(self) -> String {
        match self {
            Action::Join => "Join".into(),
            Action::Snooze(m) => format!("Snooze {m} min"),
            Action::Dismiss => "Dismiss".into(),
            Action::Open => "Open".into(),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "join" => Some(Action::Join),
            "dismiss" => Some(Action::Dismiss),
            "open" => Some(Action::Open),
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
    /// Replace this earlier notification (the spec's `replaces_id`): the at-start reminder
    /// takes the place of the lead one instead of stacking under it.
    pub replaces: Option<NotificationId>,
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
    #[error("the notification server did not answer in time")]
    Timeout,
}

/// Shows notifications. Implementations must not block the calling async worker: the
/// D-Bus one hands the call to its own thread.
pub trait Notifier: Send + Sync + 'static {
    /// Shows one notification and returns the server's id for it.
    fn show(
        &self,
        notification: Notification,
    ) -> BoxFuture<'static, Result<NotificationId, NotifyError>>;

    /// Takes a shown notification off the screen (`CloseNotification`): after Join,
    /// Snooze or Dismiss, which dunst and others leave on screen otherwise. Best effort.
    fn close(&self, id: NotificationId) -> BoxFuture<'static, ()> {
        let _ = id;
        Box::pin(std::future::ready(()))
    }
}

/// Escapes the three characters the notification spec's body markup gives meaning to
/// (case 57). Only needed when the server advertises "body-markup"; then it is applied to
/// the summary too, because dunst parses markup in both.
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

/// A notifier for tests and benchmarks: records every call, shows nothing. It can be
/// told to fail the next calls ([`RecordingNotifier::fail_next`]), like a server that went
/// away, and records the ids it was asked to close.
#[derive(Clone)]
pub struct RecordingNotifier {
    clock: Arc<dyn Clock>,
    shown: Arc<Mutex<Vec<Shown>>>,
    state: Arc<Mutex<RecState>>,
}

#[derive(Default)]
struct RecState {
    /// Errors the next calls return, in order.
    failures: VecDeque<NotifyError>,
    failed_calls: usize,
    closed: Vec<NotificationId>,
    next_id: NotificationId,
}

impl RecordingNotifier {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            shown: Arc::default(),
            state: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RecState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the next `n` calls to `show` fail as a lost connection would.
    pub fn fail_next(&self, n: usize) {
        let mut st = self.state();
        for _ in 0..n {
            st.failures
                .push_back(NotifyError::Server("the connection was closed".into()));
        }
    }

    /// How many `show` calls failed.
    pub fn failed_calls(&self) -> usize {
        self.state().failed_calls
    }

    /// The ids passed to `close`, in order.
    pub fn closed(&self) -> Vec<NotificationId> {
        self.state().closed.clone()
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
        let id = {
            let mut st = self.state();
            if let Some(e) = st.failures.pop_front() {
                st.failed_calls += 1;
                return Box::pin(std::future::ready(Err(e)));
            }
            // A replacement keeps its id, as servers do.
            notification.replaces.unwrap_or_else(|| {
                st.next_id += 1;
                st.next_id
            })
        };
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        shown.push(Shown {
            id,
            at: self.clock.now(),
            instant: std::time::Instant::now(),
            notification,
        });
        Box::pin(std::future::ready(Ok(id)))
    }

    fn close(&self, id: NotificationId) -> BoxFuture<'static, ()> {
        self.state().closed.push(id);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Action::Open,
        ] {
            assert_eq!(Action::from_key(&a.key()), Some(a));
        }
        for other in ["default", "snooze-0", "snooze-99999", "snooze-x", "snooze-"] {
            assert_eq!(Action::from_key(other), None, "{other}");
        }
    }
}
