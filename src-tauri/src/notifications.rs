//! Desktop notifications: starts the reminder scheduler with the core's desktop notifier
//! (notify-rust, a connection per notification), then carries out what the user asks from
//! a notification or the reminder window (open the window, join, open and close the
//! reminder window).
//!
//! The scheduler always runs: without a notification server (none yet, or one that went
//! away) shows fail, the reminders stay claimed and are retried every few seconds, and
//! `calendarbot status` says notifications are failing. The server's capabilities are
//! logged once at start-up for diagnostics.

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime};

use calendarbot_core::opener;
use calendarbot_core::reminders::desktop::capabilities;
use calendarbot_core::reminders::{DesktopNotifier, ShellRequest};

use crate::state::AppState;
use crate::{alert_window, window};

const APP_NAME: &str = "CalendarBot";

pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks().clone();
    tasks.spawn("notifications", async move {
        let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
        match capabilities().await {
            Ok(caps) => tracing::info!(caps = ?caps.raw, "notification server"),
            Err(e) => tracing::warn!(error = %e, "no notification server yet; reminders are retried until one answers"),
        }
        let notifier = DesktopNotifier::new(APP_NAME, events_tx);
        let mut requests = backend.start_reminders(Arc::new(notifier), events_rx);
        let token = backend.token().clone();
        loop {
            let request = tokio::select! {
                () = token.cancelled() => return,
                r = requests.recv() => match r { Some(r) => r, None => return },
            };
            match request {
                ShellRequest::OpenWindow => window::open(&app),
                ShellRequest::ShowAlert => alert_window::open(&app),
                ShellRequest::CloseAlert => alert_window::close(&app),
                ShellRequest::Join { url } => {
                    let opened = backend.tasks().blocking(move || opener::open(&url)).await;
                    if let Ok(Err(e)) = opened {
                        tracing::warn!("join from a notification failed: {e}");
                    }
                }
            }
        }
    });
}
