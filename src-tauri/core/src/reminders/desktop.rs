//! The desktop notifier: notify-rust (the XDG notification spec over zbus 6 on Linux; it
//! also speaks the desktop portal for sandboxed installs and the macOS and Windows
//! notification centres) behind the [`Notifier`] trait.
//!
//! **A connection per notification.** notify-rust opens a session connection for every
//! `show_async` and keeps it in the returned handle; actions arrive as signals on it. That
//! isolates one bad message from the rest (a bus drops a connection that sends it garbage,
//! and with one long-lived connection every later reminder was lost), and it makes
//! "reconnect" nothing special: a server that went away and came back is simply used by the
//! next call. The handle (so its connection) is kept while the notification is on screen,
//! because GNOME closes the notifications of a sender whose connection went away, and
//! because `CloseNotification` after Join / Snooze / Dismiss goes through it.
//!
//! The server's capabilities are read before each notification (servers can be restarted
//! or replaced mid-session): buttons only with "actions", summary **and** body escaped with
//! "body-markup" (dunst applies markup to both). Text is cleaned again with the content
//! module's rule, so nothing a caller builds can put a NUL on the bus.
//!
//! Every call is bounded by [`CALL_TIMEOUT`]: a wedged server is a failed show that the
//! scheduler retries, never a stuck reminder loop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use notify_rust::{Hint, NotificationHandle, NotificationResponse, Urgency};
use tokio::sync::mpsc;

use super::content::{clean_line, clean_text};
use super::notifier::{
    escape_markup, Action, Notification, NotificationId, Notifier, NotifierEvent, NotifyError,
};

/// The longest a capability query or a Notify call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Notifications kept on a live connection for their actions; the oldest are let go.
const LIVE_CAP: usize = 64;

/// What the notification server said it supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub actions: bool,
    pub body_markup: bool,
    /// Everything `GetCapabilities` returned.
    pub raw: Vec<String>,
}

impl Capabilities {
    pub fn from_list(raw: Vec<String>) -> Self {
        Self {
            actions: raw.iter().any(|c| c == "actions"),
            body_markup: raw.iter().any(|c| c == "body-markup"),
            raw,
        }
    }
}

/// The Notify call's arguments, built without touching the bus (unit-tested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyArgs {
    pub summary: String,
    pub body: String,
    /// Flat [key, label, key, label, ...] as the spec wants.
    pub actions: Vec<String>,
    pub critical: bool,
}

/// Builds the Notify arguments for a server with `caps`.
pub fn notify_args(n: &Notification, caps: &Capabilities) -> NotifyArgs {
    let escape = |s: String| {
        if caps.body_markup {
            escape_markup(&s)
        } else {
            s
        }
    };
    let mut actions = Vec::new();
    if caps.actions {
        // The "default" action is what a click on the notification invokes.
        actions.push("default".to_string());
        actions.push("Open CalendarBot".to_string());
        for a in &n.actions {
            actions.push(a.key());
            actions.push(a.label());
        }
    }
    NotifyArgs {
        summary: escape(clean_line(&n.title)),
        body: escape(clean_text(&n.body)),
        actions,
        critical: n.urgent,
    }
}

/// One notification on screen: its handle holds its connection.
struct Live {
    handle: Arc<NotificationHandle>,
    /// Which show this is: a replaced notification keeps its id, and the earlier show's
    /// action listener must then stay quiet.
    generation: u64,
}

#[derive(Default)]
struct LiveSet {
    next_generation: u64,
    by_id: HashMap<NotificationId, Live>,
}

/// The desktop notifier. Cheap to construct: nothing is connected until a notification
/// is shown.
pub struct DesktopNotifier {
    app_name: String,
    events: mpsc::UnboundedSender<NotifierEvent>,
    live: Arc<Mutex<LiveSet>>,
}

fn server_err(e: impl std::fmt::Display) -> NotifyError {
    NotifyError::Server(e.to_string())
}

/// The server's capabilities on a fresh connection (notify-rust's blocking call, on the
/// blocking pool), bounded by [`CALL_TIMEOUT`].
pub async fn capabilities() -> Result<Capabilities, NotifyError> {
    let call = tokio::task::spawn_blocking(notify_rust::get_capabilities);
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Err(_) => Err(NotifyError::Timeout),
        Ok(Err(e)) => Err(server_err(e)),
        Ok(Ok(Err(e))) => Err(classify(e)),
        Ok(Ok(Ok(list))) => Ok(Capabilities::from_list(list)),
    }
}

/// notify-rust's error, as ours: no bus at all is told apart from a server error.
fn classify(e: notify_rust::error::Error) -> NotifyError {
    let text = e.to_string();
    if text.contains("DBUS_SESSION_BUS_ADDRESS")
        || text.contains("No such file or directory")
        || text.contains("Connection refused")
    {
        NotifyError::NoSessionBus(text)
    } else {
        NotifyError::Server(text)
    }
}

impl DesktopNotifier {
    /// A notifier whose users' actions are sent to `events` (give its receiver to the
    /// scheduler).
    pub fn new(app_name: &str, events: mpsc::UnboundedSender<NotifierEvent>) -> Self {
        Self {
            app_name: app_name.to_string(),
            events,
            live: Arc::default(),
        }
    }

    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// How many notifications are held open for their actions.
    pub fn live_count(&self) -> usize {
        lock(&self.live).by_id.len()
    }
}

fn lock(live: &Mutex<LiveSet>) -> std::sync::MutexGuard<'_, LiveSet> {
    live.lock().unwrap_or_else(|e| e.into_inner())
}

impl Notifier for DesktopNotifier {
    fn show(
        &self,
        notification: Notification,
    ) -> BoxFuture<'static, Result<NotificationId, NotifyError>> {
        let app_name = self.app_name.clone();
        let events = self.events.clone();
        let live = self.live.clone();
        Box::pin(async move {
            let caps = capabilities().await?;
            let args = notify_args(&notification, &caps);
            let mut n = notify_rust::Notification::new();
            n.appname(&app_name)
                .summary(&args.summary)
                .body(&args.body)
                .icon("x-office-calendar")
                .hint(Hint::DesktopEntry("calendarbot".into()))
                .urgency(if args.critical {
                    Urgency::Critical
                } else {
                    Urgency::Normal
                });
            if let Some(id) = notification.replaces {
                n.id(id);
            }
            for pair in args.actions.chunks_exact(2) {
                n.action(&pair[0], &pair[1]);
            }
            let handle = match tokio::time::timeout(CALL_TIMEOUT, n.show_async()).await {
                Err(_) => return Err(NotifyError::Timeout),
                Ok(Err(e)) => return Err(classify(e)),
                Ok(Ok(h)) => Arc::new(h),
            };
            let id = handle.id();
            let generation = {
                let mut set = lock(&live);
                set.next_generation += 1;
                let generation = set.next_generation;
                set.by_id.insert(
                    id,
                    Live {
                        handle: handle.clone(),
                        generation,
                    },
                );
                while set.by_id.len() > LIVE_CAP {
                    let oldest = set
                        .by_id
                        .iter()
                        .min_by_key(|(_, l)| l.generation)
                        .map(|(id, _)| *id);
                    match oldest {
                        Some(old) => set.by_id.remove(&old),
                        None => break,
                    };
                }
                generation
            };
            // The listener ends with the first action or close of this id, or when its
            // connection ends. A panic inside notify-rust's listener ends only this task.
            tokio::spawn(listen(handle, id, generation, live, events));
            Ok(id)
        })
    }

    fn close(&self, id: NotificationId) -> BoxFuture<'static, ()> {
        let live = lock(&self.live).by_id.remove(&id);
        Box::pin(async move {
            if let Some(live) = live {
                let _ = tokio::time::timeout(CALL_TIMEOUT, live.handle.close_async()).await;
            }
        })
    }
}

async fn listen(
    handle: Arc<NotificationHandle>,
    id: NotificationId,
    generation: u64,
    live: Arc<Mutex<LiveSet>>,
    events: mpsc::UnboundedSender<NotifierEvent>,
) {
    let mut response = None;
    handle
        .wait_for_action_async(|r| response = Some(r.clone()))
        .await;
    let mut set = lock(&live);
    if set.by_id.get(&id).map(|l| l.generation) != Some(generation) {
        // Replaced by a later show, closed by us, or let go: someone else answers.
        return;
    }
    let event = match response {
        Some(NotificationResponse::Default) => Some(NotifierEvent::Default { id }),
        Some(NotificationResponse::Action(key)) => {
            Action::from_key(&key).map(|action| NotifierEvent::Action { id, action })
        }
        Some(NotificationResponse::Closed(_)) | None => {
            set.by_id.remove(&id);
            Some(NotifierEvent::Closed { id })
        }
        Some(_) => None,
    };
    drop(set);
    if let Some(ev) = event {
        let _ = events.send(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> Notification {
        Notification {
            title: "<b>x</b>\u{202E}gnp.exe\0".into(),
            body: "10:00 – 10:30\n<b>x</b> & <a href=y>\0".into(),
            actions: vec![
                Action::Join,
                Action::Snooze(5),
                Action::Snooze(10),
                Action::Dismiss,
            ],
            urgent: false,
            replaces: None,
        }
    }

    #[test]
    fn markup_server_gets_escaped_summary_and_body_without_nul_or_bidi() {
        let caps =
            Capabilities::from_list(vec!["body".into(), "body-markup".into(), "actions".into()]);
        let a = notify_args(&n(), &caps);
        assert_eq!(
            a.body,
            "10:00 – 10:30\n&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=y&gt;"
        );
        assert_eq!(a.summary, "&lt;b&gt;x&lt;/b&gt;gnp.exe");
        assert_eq!(
            a.actions,
            [
                "default",
                "Open CalendarBot",
                "join",
                "Join",
                "snooze-5",
                "Snooze 5 min",
                "snooze-10",
                "Snooze 10 min",
                "dismiss",
                "Dismiss"
            ]
        );
    }

    #[test]
    fn plain_server_gets_plain_text_and_no_actions() {
        let caps = Capabilities::from_list(vec!["body".into()]);
        let a = notify_args(&n(), &caps);
        assert_eq!(a.body, "10:00 – 10:30\n<b>x</b> & <a href=y>");
        assert_eq!(a.summary, "<b>x</b>gnp.exe");
        assert!(a.actions.is_empty());
    }
}
