//! The desktop notifier: `org.freedesktop.Notifications` over the D-Bus session bus.
//!
//! Why zbus directly and not notify-rust: notify-rust 4.19 opens a new session connection
//! for every `show()` and every `get_capabilities()` (its `connect_and_send_notification`
//! calls `zbus::Connection::session()` each time) and waits for actions with one blocking
//! call per notification. GNOME closes notifications whose sender's connection went away,
//! and actions arrive as signals on the sender's connection, so we keep **one long-lived
//! connection** and listen to `ActionInvoked` / `NotificationClosed` on it. This is the zbus
//! 6 that notify-rust 4.19 itself builds on.
//!
//! Threading: one dedicated std thread owns the connection and runs zbus's own executor
//! (`zbus::block_on`); tokio's async workers never make a D-Bus call. `show()` sends a
//! command over a channel and awaits the id on a oneshot; actions go back to the scheduler
//! on a tokio unbounded channel.
//!
//! Per the spec and RELIABILITY.md: capabilities are read once with `GetCapabilities`;
//! buttons are added only when the server advertises "actions"; bodies are escaped when
//! it advertises "body-markup"; bidi controls are stripped from title and body; a click
//! ("default" action) maps to "open the window".

use std::collections::HashMap;
use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, BoxFuture, Either};
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};
use zbus::{Connection, MatchRule, MessageStream, Variant};

use super::notifier::{
    escape_markup, strip_bidi, Action, Notification, NotificationId, Notifier, NotifierEvent,
    NotifyError,
};

const DEST: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const IFACE: &str = "org.freedesktop.Notifications";
/// How long `connect` waits for the bus and the server's capabilities.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What the notification server said it supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub actions: bool,
    pub body_markup: bool,
    /// Everything `GetCapabilities` returned.
    pub raw: Vec<String>,
    /// `GetServerInformation`: name, vendor, version, spec version (empty if it failed).
    pub server: Vec<String>,
}

impl Capabilities {
    pub fn from_list(raw: Vec<String>) -> Self {
        Self {
            actions: raw.iter().any(|c| c == "actions"),
            body_markup: raw.iter().any(|c| c == "body-markup"),
            raw,
            server: Vec::new(),
        }
    }
}

enum Command {
    Show(
        Notification,
        oneshot::Sender<Result<NotificationId, NotifyError>>,
    ),
    Close(NotificationId),
}

/// The D-Bus notifier. Dropping it (every clone of the command sender) ends its thread.
pub struct DbusNotifier {
    commands: mpsc::UnboundedSender<Command>,
    caps: Capabilities,
    app_name: String,
}

/// The Notify call's arguments, built without touching the bus (unit-tested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyArgs {
    pub summary: String,
    pub body: String,
    /// Flat [key, label, key, label, ...] as the spec wants.
    pub actions: Vec<String>,
    pub urgency: u8,
}

/// Builds the Notify arguments for a server with `caps`.
pub fn notify_args(n: &Notification, caps: &Capabilities) -> NotifyArgs {
    let body = strip_bidi(&n.body);
    let body = if caps.body_markup {
        escape_markup(&body)
    } else {
        body
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
        summary: strip_bidi(&n.title),
        body,
        actions,
        urgency: if n.urgent { 2 } else { 1 },
    }
}

fn server_err(e: impl std::fmt::Display) -> NotifyError {
    NotifyError::Server(e.to_string())
}

impl DbusNotifier {
    /// Connects to the session bus on a new thread, reads the server's capabilities and
    /// starts listening for actions, which are sent to `events` (give its receiver to the
    /// scheduler). Blocks up to 5 s: call it from `spawn_blocking` or before the runtime
    /// is busy. Fails without a session bus or a notification server; the app then runs
    /// without notifications (the tray's "Join next meeting" still works).
    pub fn connect(
        app_name: &str,
        events: mpsc::UnboundedSender<NotifierEvent>,
    ) -> Result<Self, NotifyError> {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let name = app_name.to_string();
        std::thread::Builder::new()
            .name("notifier-dbus".into())
            .spawn(move || zbus::block_on(serve(name, cmd_rx, events, ready_tx)))
            .map_err(server_err)?;
        let caps = match ready_rx.recv_timeout(CONNECT_TIMEOUT) {
            Ok(r) => r?,
            Err(_) => {
                return Err(NotifyError::Server(
                    "timed out connecting to the notification server".into(),
                ))
            }
        };
        tracing::info!(server = ?caps.server, caps = ?caps.raw, "notification server");
        Ok(Self {
            commands: cmd_tx,
            caps,
            app_name: app_name.to_string(),
        })
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// Closes a shown notification (e.g. when its event is cancelled).
    pub fn close(&self, id: NotificationId) {
        let _ = self.commands.send(Command::Close(id));
    }
}

impl Notifier for DbusNotifier {
    fn show(
        &self,
        notification: Notification,
    ) -> BoxFuture<'static, Result<NotificationId, NotifyError>> {
        let (tx, rx) = oneshot::channel();
        let sent = self.commands.send(Command::Show(notification, tx));
        Box::pin(async move {
            sent.map_err(|_| NotifyError::Stopped)?;
            rx.await.map_err(|_| NotifyError::Stopped)?
        })
    }
}

async fn call_show(
    conn: &Connection,
    app_name: &str,
    caps: &Capabilities,
    n: &Notification,
) -> Result<NotificationId, NotifyError> {
    let args = notify_args(n, caps);
    let actions: Vec<&str> = args.actions.iter().map(String::as_str).collect();
    let mut hints: HashMap<&str, Variant<'_>> = HashMap::new();
    hints.insert("urgency", Variant::from(args.urgency));
    hints.insert("desktop-entry", Variant::from("calendarbot"));
    let reply = conn
        .call_method(
            Some(DEST),
            PATH,
            Some(IFACE),
            "Notify",
            &(
                app_name,
                0u32,
                "x-office-calendar",
                args.summary.as_str(),
                args.body.as_str(),
                actions,
                hints,
                -1i32,
            ),
        )
        .await
        .map_err(server_err)?;
    reply.body().deserialize::<u32>().map_err(server_err)
}

/// The notifier thread: owns the connection for the whole process lifetime.
async fn serve(
    app_name: String,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<NotifierEvent>,
    ready: std::sync::mpsc::SyncSender<Result<Capabilities, NotifyError>>,
) {
    let setup = async {
        let conn = Connection::session()
            .await
            .map_err(|e| NotifyError::NoSessionBus(e.to_string()))?;
        // Without an object server nothing answers method calls sent to this connection:
        // a peer that introspects it (busctl tree, d-spy) would wait 25 s for a reply.
        let _ = conn.object_server();
        let list: Vec<String> = conn
            .call_method(Some(DEST), PATH, Some(IFACE), "GetCapabilities", &())
            .await
            .map_err(server_err)?
            .body()
            .deserialize()
            .map_err(server_err)?;
        let mut caps = Capabilities::from_list(list);
        if let Ok(reply) = conn
            .call_method(Some(DEST), PATH, Some(IFACE), "GetServerInformation", &())
            .await
        {
            if let Ok((a, b, c, d)) = reply
                .body()
                .deserialize::<(String, String, String, String)>()
            {
                caps.server = vec![a, b, c, d];
            }
        }
        let rule = MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(IFACE)
            .path(PATH)
            .build()
            .map_err(server_err)?;
        let signals = MessageStream::for_match_rule(rule, &conn, None)
            .await
            .map_err(server_err)?;
        Ok::<_, NotifyError>((conn, caps, signals))
    };
    let (conn, caps, mut signals) = match setup.await {
        Ok(v) => v,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(caps.clone()));
    loop {
        // Keep only the output: the losing future (cancel-safe for both) is dropped here.
        let next = match select(pin!(commands.recv()), signals.next()).await {
            Either::Left((c, _)) => Either::Left(c),
            Either::Right((m, _)) => Either::Right(m),
        };
        match next {
            Either::Left(None) => break,
            Either::Left(Some(Command::Show(n, reply))) => {
                let _ = reply.send(call_show(&conn, &app_name, &caps, &n).await);
            }
            Either::Left(Some(Command::Close(id))) => {
                if let Err(e) = conn
                    .call_method(Some(DEST), PATH, Some(IFACE), "CloseNotification", &(id,))
                    .await
                {
                    tracing::debug!(error = %e, id, "CloseNotification failed");
                }
            }
            Either::Right(Some(Ok(msg))) => {
                if let Some(ev) = decode_signal(&msg) {
                    let _ = events.send(ev);
                }
            }
            Either::Right(Some(Err(e))) => tracing::debug!(error = %e, "bad D-Bus message"),
            Either::Right(None) => {
                tracing::warn!("the D-Bus connection closed; notifications stop");
                break;
            }
        }
    }
}

fn decode_signal(msg: &zbus::Message) -> Option<NotifierEvent> {
    let header = msg.header();
    let member = header.member()?.as_str().to_string();
    match member.as_str() {
        "ActionInvoked" => {
            let (id, key): (u32, String) = msg.body().deserialize().ok()?;
            Some(match key.as_str() {
                "default" => NotifierEvent::Default { id },
                other => NotifierEvent::Action {
                    id,
                    action: Action::from_key(other)?,
                },
            })
        }
        "NotificationClosed" => {
            let (id, _reason): (u32, u32) = msg.body().deserialize().ok()?;
            Some(NotifierEvent::Closed { id })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> Notification {
        Notification {
            title: "<b>x</b>\u{202E}gnp.exe".into(),
            body: "10:00 – 10:30\n<b>x</b> & <a href=y>".into(),
            actions: vec![
                Action::Join,
                Action::Snooze(5),
                Action::Snooze(10),
                Action::Dismiss,
            ],
            urgent: false,
        }
    }

    #[test]
    fn markup_server_gets_an_escaped_body_and_no_bidi() {
        let caps =
            Capabilities::from_list(vec!["body".into(), "body-markup".into(), "actions".into()]);
        let a = notify_args(&n(), &caps);
        assert_eq!(
            a.body,
            "10:00 – 10:30\n&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=y&gt;"
        );
        assert_eq!(a.summary, "<b>x</b>gnp.exe");
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
        assert!(a.actions.is_empty());
    }
}
