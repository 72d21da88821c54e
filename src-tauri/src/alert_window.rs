//! The at-start reminder window (`notify.alert_window`): a small window above all others
//! with the meeting, a countdown and a big Join button (ui/alert.html). The scheduler
//! decides when it opens and closes; like the main window it is created on demand and
//! destroyed on close, so no WebKit process lives while it is not shown. Its capability
//! (`capabilities/alert.json`) allows only its own two commands.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// The reminder window's label (its capability is granted to this label only).
pub const ALERT: &str = "alert";

/// Shows the reminder window for the scheduler's current alert; an open one is reloaded
/// (a second meeting starting replaces the first) and raised.
pub fn open<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(ALERT) {
        let _ = window.eval("location.reload()");
        crate::window::raise(&window);
        return;
    }
    let built = WebviewWindowBuilder::new(app, ALERT, WebviewUrl::App("alert.html".into()))
        .title("CalendarBot: meeting starting")
        .inner_size(520.0, 360.0)
        .resizable(false)
        .always_on_top(true)
        .visible_on_all_workspaces(true)
        .center()
        .focused(true)
        .build();
    if let Err(e) = built {
        tracing::error!(error = %e, "cannot create the reminder window");
    }
}

/// Closes the reminder window if it is open.
pub fn close<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(ALERT) {
        if let Err(e) = window.destroy() {
            tracing::warn!(error = %e, "cannot close the reminder window");
        }
    }
}
