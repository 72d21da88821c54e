//! The window is created on demand and destroyed on close, so no WebKit process
//! lives while it is not shown (hiding would keep ~200 MB alive).

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// The only window's label; the capabilities grant commands to this label only.
pub const MAIN: &str = "main";

/// Shows the window, creating it if needed.
pub fn open<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN) {
        raise(&window);
        return;
    }
    let built = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("CalendarBot")
        .inner_size(920.0, 680.0)
        .min_inner_size(520.0, 420.0)
        .build();
    if let Err(e) = built {
        tracing::error!(error = %e, "cannot create the window");
    }
}

/// Brings an existing window to the front (the main window and the reminder window).
pub fn raise<R: Runtime>(window: &WebviewWindow<R>) {
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
}
