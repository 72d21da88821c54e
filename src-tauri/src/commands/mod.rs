//! The commands the window may call. Each is thin: validate, call one backend
//! method, map the error to `{ code, message }`. Commands take ids and keys, never
//! SQL, paths or URLs to open.

pub mod agenda;
pub mod diagnostics;
pub mod error;
pub mod settings;

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime};

use calendarbot_core::backend::Backend;

use crate::menu_model::{MenuContext, MenuId};
use crate::state::AppState;

/// Registers every command on a builder (generic, so tests use the mock runtime).
pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        agenda::get_overview,
        agenda::get_agenda,
        agenda::join_occurrence,
        settings::get_settings,
        settings::set_setting,
        diagnostics::get_diagnostics,
    ])
}

/// Joins an occurrence from a tray click, logging failures (there is no UI to show them).
pub fn spawn_join<R: Runtime>(app: &AppHandle<R>, key: String) {
    let backend = app.state::<AppState>().backend.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = agenda::join(&backend, key).await {
            tracing::warn!(code = e.code, "join from the tray failed: {}", e.message);
        }
    });
}

/// "Refresh now" from the tray or the window.
pub fn request_refresh(backend: &Arc<Backend>) {
    backend.notify_changed();
}

/// Pause / resume from the tray.
pub fn spawn_pause<R: Runtime>(app: &AppHandle<R>, id: MenuId) {
    let _ = (app, id);
}

/// The tray's view of source health and the pause state.
pub fn menu_context(backend: &Arc<Backend>) -> MenuContext {
    let _ = backend;
    MenuContext::default()
}
