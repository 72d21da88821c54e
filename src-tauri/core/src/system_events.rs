//! Signals from the system bus that should wake the app: a resume from suspend (logind)
//! and the network coming back (NetworkManager). Each watch runs on its own thread,
//! parked on the bus socket between signals; without a system bus or the service it
//! fails at once, and the app relies on its wall-clock timers and refresh schedule.

use std::io;
use std::time::Duration;

use futures_util::StreamExt;
use zbus::{Connection, MatchRule, MessageStream};

/// How long a watch waits for the system bus.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// NetworkManager's `NM_STATE_CONNECTED_GLOBAL`: full Internet access.
const NM_CONNECTED_GLOBAL: u32 = 70;

/// Calls `on_resume` after each resume from suspend (logind's `PrepareForSleep(false)`).
pub fn watch_resume(on_resume: impl Fn() + Send + 'static) -> io::Result<()> {
    watch(
        "logind-resume",
        "org.freedesktop.login1.Manager",
        "PrepareForSleep",
        "/org/freedesktop/login1",
        // PrepareForSleep(true) before suspend, (false) after resume.
        move |msg| {
            if let Ok(false) = msg.body().deserialize::<bool>() {
                on_resume();
            }
        },
    )
}

/// Calls `on_online` when the network comes back (NetworkManager's `StateChanged`
/// reaching full connectivity from a lesser state).
pub fn watch_network(on_online: impl Fn() + Send + 'static) -> io::Result<()> {
    let mut last = None;
    watch(
        "network-online",
        "org.freedesktop.NetworkManager",
        "StateChanged",
        "/org/freedesktop/NetworkManager",
        move |msg| {
            if let Ok(state) = msg.body().deserialize::<u32>() {
                if came_online(last, state) {
                    on_online();
                }
                last = Some(state);
            }
        },
    )
}

/// Whether a NetworkManager state change means "back online". The first state seen
/// counts only if it is online (the watch may start just before a reconnect).
pub fn came_online(previous: Option<u32>, state: u32) -> bool {
    state >= NM_CONNECTED_GLOBAL && previous.is_none_or(|p| p < NM_CONNECTED_GLOBAL)
}

fn watch(
    thread: &str,
    interface: &'static str,
    member: &'static str,
    path: &'static str,
    mut on_signal: impl FnMut(&zbus::Message) + Send + 'static,
) -> io::Result<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            zbus::block_on(async move {
                let setup = async {
                    let conn = Connection::system().await?;
                    let rule = MatchRule::builder()
                        .msg_type(zbus::message::Type::Signal)
                        .interface(interface)
                        .member(member)
                        .path(path)
                        .build()?;
                    let stream = MessageStream::for_match_rule(rule, &conn, None).await?;
                    Ok::<_, zbus::Error>((conn, stream))
                };
                let (_conn, mut stream) = match setup.await {
                    Ok(v) => {
                        let _ = ready_tx.send(Ok(()));
                        v
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(io::Error::other(e)));
                        return;
                    }
                };
                while let Some(msg) = stream.next().await {
                    if let Ok(msg) = msg {
                        on_signal(&msg);
                    }
                }
            })
        })?;
    ready_rx
        .recv_timeout(CONNECT_TIMEOUT)
        .unwrap_or_else(|_| Err(io::Error::other("timed out connecting to the system bus")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_transition_to_full_connectivity_is_coming_online() {
        // 20 disconnected, 50 connected local, 60 site, 70 global.
        assert!(came_online(Some(20), 70));
        assert!(came_online(Some(60), 70));
        assert!(came_online(None, 70));
        assert!(!came_online(Some(70), 70));
        assert!(!came_online(Some(20), 50));
        assert!(!came_online(None, 20));
    }
}
