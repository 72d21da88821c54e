//! The commands the window may call. Each is thin: validate, call one backend
//! method, map the error to `{ code, message }`. Commands take ids and keys, never
//! SQL, paths or URLs to open (a local calendar's path is checked by
//! `window_policy`).
//!
//! The table below is the one list of commands: it registers them and declares their
//! arguments and results for the UI's typed contract (`contract`, `ui/bindings.d.ts`).

pub mod accounts;
pub mod agenda;
pub mod contract;
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

/// Declares every command once: `module::name(argument: Type, ...) -> Result;` (the
/// arguments the page sends; `State`, `AppHandle` and the window are Tauri's).
macro_rules! commands {
    ($( $module:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        /// Registers every command on a builder (generic, so tests use the mock runtime).
        pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
            builder.invoke_handler(tauri::generate_handler![$($module::$name),*])
        }

        /// Each command's name, arguments and result in TypeScript, declaring the types
        /// they use on `types`.
        pub fn signatures(types: &mut contract::Declarations) -> Vec<contract::Signature> {
            vec![$(contract::Signature {
                name: stringify!($name),
                args: vec![$((stringify!($arg), types.name_of::<$ty>())),*],
                result: types.name_of::<$ret>(),
            }),*]
        }
    };
}

commands! {
    agenda::get_overview() -> agenda::Overview;
    agenda::get_agenda(from: String, days: u32) -> Vec<agenda::OccurrenceView>;
    agenda::join_occurrence(key: String) -> ();
    settings::get_settings() -> Vec<settings::SettingView>;
    settings::set_setting(key: String, value: String) -> String;
    diagnostics::get_diagnostics() -> diagnostics::Diagnostics;
    control::refresh_now() -> ();
    control::pause_notifications(mode: control::PauseMode) -> control::PauseState;
    control::close_window() -> ();
    sources::list_sources() -> Vec<sources::SourceView>;
    sources::add_source(input: sources::SourceInput) -> sources::SourceView;
    accounts::discover_account(input: accounts::AccountInput) -> calendarbot_core::caldav::accounts::AccountPreview;
    accounts::add_account(input: accounts::AccountInput, calendars: Vec<String>) -> Vec<sources::SourceView>;
    sources::update_source(id: i64, patch: sources::SourcePatch) -> sources::SourceView;
    sources::remove_source(id: i64) -> ();
    sources::test_source(input: sources::SourceInput) -> calendarbot_core::backend::ConnectionTest;
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
    let failing_loop = backend
        .loop_health()
        .into_iter()
        .find(|l| l.failures > 0)
        .map(|l| {
            format!(
                "{} updates are failing: {}",
                l.name,
                l.last_error.unwrap_or_default()
            )
        });
    let source_warning = match Settings::load(&backend.pool).await {
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
        health_warning: failing_loop.or(source_warning),
        paused_until,
        demo: false,
    }
}
