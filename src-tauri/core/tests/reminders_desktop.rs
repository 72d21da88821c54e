//! The desktop notifier (notify-rust) against a real notification server (ignored by
//! default: it needs a session bus and a server), and its failure without a bus (always
//! run). The end-to-end tests (tests/e2e/reminder_tests.py) cover the same on the app.
//!
//! Run the ignored test with dunst on a private bus and a virtual display:
//!
//! ```sh
//! dbus-run-session -- sh -c 'Xvfb :93 -screen 0 1024x768x24 >/dev/null 2>&1 & \
//!   sleep 1; DISPLAY=:93 dunst >/dev/null 2>&1 & sleep 1; \
//!   cargo test -p calendarbot-core --test reminders_desktop -- --ignored --nocapture; \
//!   s=$?; kill %1 %2; exit $s'
//! ```

// Test helpers outside #[test] fns unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use calendarbot_core::reminders::desktop::capabilities;
use calendarbot_core::reminders::{Action, DesktopNotifier, Notification, Notifier, NotifierEvent};
use tokio::sync::mpsc;

fn sample() -> Notification {
    Notification {
        title: "Standup \u{202E}gnp.exe <b>bold</b>\0".into(),
        body: "09:20 – 09:50\n<b>x</b> & <a href=\"https://evil\">y</a>\0\nWork".into(),
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

const NO_BUS: &str = "unix:path=/nonexistent/calendarbot-test-bus";

#[tokio::test]
async fn without_a_session_bus_show_fails_cleanly_and_quickly() {
    // The bus address is process-wide: set only in a child run of this test.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|a| a != NO_BUS) {
        let name = "without_a_session_bus_show_fails_cleanly_and_quickly";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads", "1"])
            .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let (tx, _rx) = mpsc::unbounded_channel();
    let n = DesktopNotifier::new("CalendarBot test", tx);
    let started = std::time::Instant::now();
    let r = n.show(sample()).await;
    assert!(r.is_err(), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "bounded by the call timeout"
    );
    assert_eq!(n.live_count(), 0);
}

#[tokio::test]
#[ignore = "needs a D-Bus session bus with a notification server (see the module doc)"]
async fn shows_replaces_and_closes_through_a_real_server() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "no DBUS_SESSION_BUS_ADDRESS: run under dbus-run-session with a notification server"
        );
    }
    let caps = capabilities().await.unwrap();
    println!("capabilities: {:?}", caps.raw);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let n = DesktopNotifier::new("CalendarBot test", tx);
    let id1 = n.show(sample()).await.unwrap();
    let id2 = n
        .show(Notification {
            replaces: Some(id1),
            ..sample()
        })
        .await
        .unwrap();
    assert_eq!(id1, id2, "a replacement keeps the id");
    let id3 = n.show(sample()).await.unwrap();
    assert_ne!(id3, id1);
    n.close(id1).await;
    n.close(id3).await;
    assert_eq!(n.live_count(), 0);
    // Closed by us: the listener stays quiet (the scheduler already forgot it).
    let quiet = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    assert!(quiet.is_err(), "{quiet:?}");
    let _ = NotifierEvent::Closed { id: id1 };
}
