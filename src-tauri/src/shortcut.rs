//! The "join next meeting" global shortcut (`app.join_shortcut`, Tauri's global-shortcut
//! plugin: XGrabKey on X11).
//!
//! The plugin is added only once a shortcut is set: it opens its own X connection and
//! thread, and its set-up fails where global shortcuts do not exist (a Wayland session
//! without X), which must not stop the app. A shortcut the session refuses (another
//! application holds it, no X server) is a failing loop in the backend's health, so
//! `calendarbot status` and Diagnostics say so, and it is tried again with the usual
//! back-off (the other application may let it go). The setting is read again whenever the
//! configuration changes.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

use calendarbot_core::settings::Settings;

use crate::state::AppState;
use crate::tray;

/// The name of this watch in the backend's loop health.
const LOOP: &str = "join shortcut";

/// Keeps the registered shortcut equal to the setting, for the life of the app.
pub fn watch<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks().clone();
    tasks.spawn("join shortcut", async move {
        let mut changes = backend.subscribe();
        let token = backend.token().clone();
        let mut registered = String::new();
        let mut plugin = false;
        loop {
            let wanted = match Settings::load(backend.pool()).await {
                Ok(s) => s.join_shortcut,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the join shortcut failed");
                    registered.clone()
                }
            };
            let mut retry = None;
            if wanted != registered {
                let app2 = app.clone();
                let (want, need_plugin) = (wanted.clone(), !plugin);
                let applied = backend
                    .tasks()
                    .blocking(move || apply(&app2, &want, need_plugin))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                plugin |= !wanted.is_empty();
                match applied {
                    Ok(()) => {
                        if !wanted.is_empty() {
                            tracing::info!(shortcut = %wanted, "join shortcut registered");
                        }
                        registered = wanted;
                        backend.loop_succeeded(LOOP);
                    }
                    Err(e) => {
                        let message = format!("cannot use {wanted} as the join shortcut: {e}");
                        tracing::warn!("{message}");
                        registered = String::new();
                        retry = Some(backend.loop_failed(LOOP, &message));
                    }
                }
            }
            let sleep = async {
                match retry {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = token.cancelled() => return,
                r = changes.changed() => if r.is_err() { return },
                () = sleep => {},
            }
        }
    });
}

/// Replaces the registered shortcut by `wanted` (none when empty). Runs on the blocking
/// pool: the plugin carries each call out on GTK's thread and waits for it.
fn apply<R: Runtime>(app: &AppHandle<R>, wanted: &str, add_plugin: bool) -> Result<(), String> {
    if wanted.is_empty() && add_plugin {
        return Ok(());
    }
    if add_plugin {
        app.plugin(tauri_plugin_global_shortcut::Builder::new().build())
            .map_err(|e| format!("this session does not offer global shortcuts ({e})"))?;
    }
    let shortcuts = app.global_shortcut();
    shortcuts.unregister_all().map_err(|e| e.to_string())?;
    if wanted.is_empty() {
        return Ok(());
    }
    shortcuts
        .on_shortcut(wanted, |app, _, event| {
            if event.state == ShortcutState::Pressed {
                tray::join_next(app);
            }
        })
        .map_err(|e| match e.to_string() {
            m if m.contains("already") => {
                "another application already uses this key combination".to_string()
            }
            m => m,
        })
}
