//! The commands the window may call. Each is thin: validate, call one backend
//! method, map the error to `{ code, message }`. Commands take ids and keys, never
//! SQL, paths or URLs to open.

pub mod agenda;
pub mod control;
pub mod diagnostics;
pub mod error;
pub mod settings;
pub mod sources;

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime};

use calendarbot_core::backend::Backend;
use calendarbot_core::cache;
use calendarbot_core::settings::Settings;

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
        control::refresh_now,
        control::pause_notifications,
        control::close_window,
        sources::list_sources,
        sources::add_source,
        sources::update_source,
        sources::remove_source,
        sources::test_source,
    ])
}

/// Joins an occurrence from a tray click, logging failures (there is no UI to show them).
pub fn spawn_join<R: Runtime>(app: &AppHandle<R>, key: String) {
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks.clone();
    tasks.spawn("join from the tray", async move {
        if let Err(e) = agenda::join(&backend, key).await {
            tracing::warn!(code = e.code, "join from the tray failed: {}", e.message);
        }
    });
}

/// "Refresh now" from the tray or the window.
pub fn request_refresh(backend: &Arc<Backend>) {
    backend.refresh_now();
}

/// Pause / resume from the tray.
pub fn spawn_pause<R: Runtime>(app: &AppHandle<R>, id: MenuId) {
    let mode = match id {
        MenuId::Pause1h => control::PauseMode::OneHour,
        MenuId::PauseTomorrow => control::PauseMode::Tomorrow,
        _ => control::PauseMode::Resume,
    };
    let app = app.clone();
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks.clone();
    tasks.spawn("pause from the tray", async move {
        match control::pause(&backend, mode).await {
            Ok(_) => {
                let _ = crate::tray::refresh(&app).await;
            }
            Err(e) => tracing::warn!(code = e.code, "pause from the tray failed: {}", e.message),
        }
    });
}

/// The tray's view of source health and the pause state.
pub async fn menu_context(backend: &Arc<Backend>) -> MenuContext {
    let paused_until = match backend.reminders() {
        Some(r) => r.paused_until().await.ok().flatten(),
        None => None,
    };
    let health_warning = match Settings::load(&backend.pool).await {
        Ok(settings) => cache::health(&backend.pool, backend.clock.now(), &settings)
            .await
            .ok()
            .and_then(|list| {
                list.into_iter()
                    .find_map(|h| match (&h.last_error, h.stale) {
                        (Some(e), _) if h.enabled => Some(format!("{}: {e}", h.name)),
                        (None, true) if h.enabled => {
                            Some(format!("{}: data is out of date", h.name))
                        }
                        _ => None,
                    })
            }),
        Err(_) => None,
    };
    MenuContext {
        health_warning,
        paused_until,
        demo: false,
    }
}
