//! Desktop notifications: connects the core's D-Bus notifier (on the blocking pool:
//! it waits for the session bus) and starts the reminder scheduler with it, then
//! carries out what the user asks from a notification (open the window, join).
//!
//! Without a notification server the app still runs (tray, window, refresh); the
//! reminder scheduler is not started and pausing says notifications are unavailable.

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime};

use calendarbot_core::reminders::{DbusNotifier, ShellRequest};

use crate::state::AppState;
use crate::{opener, window};

const APP_NAME: &str = "CalendarBot";

pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks.clone();
    tasks.spawn("notifications", async move {
        let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
        let connected = backend
            .tasks
            .blocking(move || DbusNotifier::connect(APP_NAME, events_tx))
            .await;
        let notifier = match connected {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "no notification server: reminders are off");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "notifier start-up task failed");
                return;
            }
        };
        let mut requests = backend.start_reminders(Arc::new(notifier), events_rx);
        let token = backend.token().clone();
        loop {
            let request = tokio::select! {
                () = token.cancelled() => return,
                r = requests.recv() => match r { Some(r) => r, None => return },
            };
            match request {
                ShellRequest::OpenWindow => window::open(&app),
                ShellRequest::Join { url } => {
                    let opened = backend.tasks.blocking(move || opener::open(&url)).await;
                    if let Ok(Err(e)) = opened {
                        tracing::warn!("join from a notification failed: {e}");
                    }
                }
            }
        }
    });
}
