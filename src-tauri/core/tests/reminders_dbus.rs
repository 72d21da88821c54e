//! The D-Bus notifier against a real notification server (ignored by default: it needs a
//! session bus and a server), and its failure without a bus (always run).
//!
//! Run the ignored test with dunst on a private bus and a virtual display:
//!
//! ```sh
//! dbus-run-session -- sh -c 'Xvfb :93 -screen 0 1024x768x24 >/dev/null 2>&1 & \
//!   sleep 1; DISPLAY=:93 dunst >/dev/null 2>&1 & sleep 1; \
//!   cargo test -p calendarbot-core --test reminders_dbus -- --ignored --nocapture; \
//!   s=$?; kill %1 %2; exit $s'
//! ```

// Test helpers outside #[test] fns unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use calendarbot_core::reminders::{Action, DbusNotifier, Notification, Notifier, NotifierEvent};
use tokio::sync::mpsc;

fn sample() -> Notification {
    Notification {
        title: "Standup \u{202E}gnp.exe".into(),
        body: "09:20 – 09:50\n<b>x</b> & <a href=\"https://evil\">y</a>\nWork".into(),
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
fn without_a_session_bus_connect_fails_cleanly() {
    // Its own test binary, so changing the environment affects no other test.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/calendarbot-test-bus",
    );
    let (tx, _rx) = mpsc::unbounded_channel();
    let started = std::time::Instant::now();
    let r = DbusNotifier::connect("CalendarBot test", tx);
    assert!(r.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "bounded by the connect timeout"
    );
}

#[tokio::test]
#[ignore = "needs a D-Bus session bus with a notification server (see the module doc)"]
async fn shows_through_a_real_server_on_one_connection_and_reports_close() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "no DBUS_SESSION_BUS_ADDRESS: run under dbus-run-session with a notification server"
        );
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let n = tokio::task::spawn_blocking(move || DbusNotifier::connect("CalendarBot test", tx))
        .await
        .unwrap()
        .unwrap();
    let caps = n.capabilities().clone();
    println!("server: {:?}\ncapabilities: {:?}", caps.server, caps.raw);
    let id1 = n.show(sample()).await.unwrap();
    let id2 = n.show(sample()).await.unwrap();
    assert!(id1 > 0 && id2 > id1, "{id1} {id2}");
    n.close(id1);
    let ev = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a NotificationClosed signal");
    assert_eq!(ev, Some(NotifierEvent::Closed { id: id1 }));

    // With dunst: a click ("default" action) comes back on the same connection, and the
    // server received an escaped body and a title without bidi controls (cases 54, 57).
    if std::process::Command::new("dunstctl")
        .arg("count")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let out = std::process::Command::new("dunstctl")
            .args(["action", "0"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let found = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(ev) = rx.recv().await {
                if ev == (NotifierEvent::Default { id: id2 }) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(
            found,
            Ok(true),
            "ActionInvoked(default) for the shown notification"
        );
        let _ = std::process::Command::new("dunstctl")
            .arg("close-all")
            .output();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let history = std::process::Command::new("dunstctl")
            .arg("history")
            .output()
            .unwrap();
        let history = String::from_utf8_lossy(&history.stdout);
        assert!(
            history.contains("&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href="),
            "escaped body: {history}"
        );
        assert!(
            history.contains("Standup gnp.exe"),
            "bidi control stripped: {history}"
        );
        assert!(!history.contains('\u{202E}'));
    } else {
        n.close(id2);
    }
}
