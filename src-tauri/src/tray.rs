//! The tray icon: renders `menu_model` (the menu with a coloured dot icon per event
//! line, the label and tooltip, and the icon itself, which shows the minutes to the next
//! meeting in its last hour: `tray_pixels`) and reacts to clicks.
//!
//! It re-renders when the agenda changes, after a refresh (source health), and at the
//! next instant the model itself says its text changes (`menu_model::next_change`: each
//! minute while a countdown is shown, otherwise only at event boundaries), and when the
//! reminders start or stop failing to show (issue 12's health line), and only
//! touches the menu when the model actually changed. All work is done on the async
//! runtime; the menu calls run on the GTK thread. On Linux the tray is drawn by
//! `tray_gtk` (so menu icons reach the panel), elsewhere by Tauri's tray (`tray_tauri`).
//! A Tauri error does not end the updater: it is logged, shown in the backend's loop
//! health and retried after a backoff (or at the next change).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use calendarbot_core::api::control::{self, PauseMode};
use calendarbot_core::api::{agenda, sources};
use calendarbot_core::backend::Backend;
use calendarbot_core::menu_model::{self, MenuContext, MenuId, MenuModel};
use calendarbot_core::opener;
use calendarbot_core::reminders::{health, scheduler::Status};
use tokio::sync::watch;

use crate::state::AppState;
#[cfg(target_os = "linux")]
use crate::tray_gtk;
#[cfg(not(target_os = "linux"))]
use crate::tray_tauri;
use crate::{events, lifecycle, window};

/// The longest sleep on a clock that cannot report suspends or jumps (the system clock
/// can: see `Clock::sleep_until`).
const MAX_SLEEP: Duration = Duration::from_secs(15 * 60);

/// Creates the tray icon with the current agenda's menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let (model, _) = tauri::async_runtime::block_on(current_model(app));
    #[cfg(target_os = "linux")]
    {
        app.manage(tray_gtk::GtkTray::default());
        tray_gtk::show(app, model.clone(), on_click::<R>);
    }
    #[cfg(not(target_os = "linux"))]
    tray_tauri::create(app, &model, on_click::<R>)?;
    *app.state::<AppState>()
        .menu
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(model);
    Ok(())
}

/// The updater's name in the task list and the loop health.
pub const TRAY_LOOP: &str = "tray";

/// Keeps the menu current until shutdown.
pub fn spawn_updater<R: Runtime>(app: &AppHandle<R>) {
    spawn_updater_with(app, |app| async move { refresh(&app).await });
}

/// The updater with its step injected (tests make it fail): `step` re-renders and
/// returns when the menu's text next changes with time alone.
pub fn spawn_updater_with<R, F, Fut>(app: &AppHandle<R>, step: F)
where
    R: Runtime,
    F: Fn(AppHandle<R>) -> Fut + Send + 'static,
    Fut: Future<Output = tauri::Result<DateTime<Utc>>> + Send + 'static,
{
    let app = app.clone();
    let state = app.state::<AppState>();
    let backend = state.backend.clone();
    let mut agenda = backend.subscribe();
    let token = backend.token().clone();
    let tasks = backend.tasks().clone();
    let mut health = backend.subscribe_health();
    // The reminders start after the tray: their status is picked up at the first wake
    // that finds them running.
    let mut notify: Option<watch::Receiver<Status>> = None;
    // The reminders' "failing" as last seen (None until they run).
    let mut notify_seen: Option<bool> = None;
    tasks.spawn(TRAY_LOOP, async move {
        // Either when the text next changes, or (after a failure) when to retry.
        let attempt = |outcome: tauri::Result<DateTime<Utc>>| match outcome {
            Ok(at) => {
                backend.loop_succeeded(TRAY_LOOP);
                (at, None)
            }
            Err(e) => (
                backend.clock().now(),
                Some(backend.loop_failed(TRAY_LOOP, &e)),
            ),
        };
        let (mut change_at, mut retry) = attempt(step(app.clone()).await);
        loop {
            if notify.is_none() {
                notify = backend.reminders().map(|r| r.status());
            }
            tokio::select! {
                () = token.cancelled() => return,
                changed = agenda.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // The window (if open) reloads its page on this event.
                    if let Err(e) = app.emit(events::AGENDA_CHANGED, ()) {
                        tracing::warn!(error = %e, "could not tell the window the agenda changed");
                    }
                }
                changed = health.changed() => if changed.is_err() { return },
                // Only a change of "failing" matters (each reminder round sends a status).
                open = notify_flipped(&mut notify, &mut notify_seen) => if !open { notify = None },
                () = backend.clock().sleep_until(Some(change_at), MAX_SLEEP), if retry.is_none() => {}
                () = tokio::time::sleep(retry.unwrap_or_default()), if retry.is_some() => {}
            }
            (change_at, retry) = attempt(step(app.clone()).await);
        }
    });
}

/// Waits until the reminders' "failing" differs from `seen` (set from the status when
/// the reminders are first seen), then records it; false when the scheduler is gone.
/// Never returns without reminders.
async fn notify_flipped(rx: &mut Option<watch::Receiver<Status>>, seen: &mut Option<bool>) -> bool {
    let Some(rx) = rx else {
        return std::future::pending().await;
    };
    let before = *seen.get_or_insert_with(|| rx.borrow().failing);
    match rx.wait_for(|s| s.failing != before).await {
        Ok(status) => {
            *seen = Some(status.failing);
            true
        }
        Err(_) => false,
    }
}

/// Re-renders the menu if its model changed; returns when its text next changes with
/// time alone.
pub async fn refresh<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<DateTime<Utc>> {
    let (model, change_at) = current_model(app).await;
    let state = app.state::<AppState>();
    let shown = || state.menu.lock().unwrap_or_else(|e| e.into_inner());
    let before = shown().clone();
    if before.as_ref() == Some(&model) {
        return Ok(change_at);
    }
    // Not under the lock: the menu is set on GTK's thread, whose click handler takes it.
    #[cfg(target_os = "linux")]
    tray_gtk::show(app, model.clone(), on_click::<R>);
    #[cfg(not(target_os = "linux"))]
    tray_tauri::update(app, before.as_ref(), &model)?;
    #[cfg(target_os = "linux")]
    let _ = before;
    *shown() = Some(model);
    Ok(change_at)
}

/// The menu for now, and when its text next changes with time alone.
async fn current_model<R: Runtime>(app: &AppHandle<R>) -> (MenuModel, DateTime<Utc>) {
    let backend: Arc<_> = app.state::<AppState>().backend.clone();
    let snapshot = backend.agenda();
    let ctx = MenuContext {
        demo: snapshot.demo,
        ..menu_context(&backend).await
    };
    let now = backend.clock().now();
    (
        menu_model::build(&snapshot.occurrences, &ctx, now, snapshot.tz),
        menu_model::next_change(&snapshot.occurrences, &ctx, now, snapshot.tz),
    )
}

/// A click on a menu line, by its `MenuId` string (on GTK's thread).
pub fn on_click<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let Some(id) = MenuId::parse(id) else { return };
    let state = app.state::<AppState>();
    let model = state.menu.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match id {
        MenuId::Headline => match model.and_then(|m| m.headline_join) {
            Some(key) => spawn_join(app, key),
            None => window::open(app),
        },
        MenuId::Open => window::open(app),
        MenuId::Quit => lifecycle::shutdown(app),
        MenuId::JoinNext => join_next(app),
        MenuId::Event(i) => {
            let key = model.and_then(|m| m.event_keys.get(i).cloned());
            let has_link = key.as_ref().is_some_and(|k| {
                state
                    .backend
                    .agenda()
                    .occurrences
                    .iter()
                    .any(|o| &o.key() == k && o.join_url.is_some())
            });
            match key {
                Some(key) if has_link => spawn_join(app, key),
                _ => window::open(app),
            }
        }
        MenuId::Refresh => control::refresh_now(&state.backend),
        MenuId::Pause1h | MenuId::PauseTomorrow | MenuId::Resume => {
            spawn_pause(app, id);
        }
    }
}

/// Joins an occurrence from a tray click, logging failures (there is no UI to show them).
fn spawn_join<R: Runtime>(app: &AppHandle<R>, key: String) {
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks().clone();
    tasks.spawn("join from the tray", async move {
        if let Err(e) = agenda::join(&backend, &key, opener::open).await {
            tracing::warn!(code = e.code.as_str(), "join from the tray failed: {e}");
        }
    });
}

/// "Join next meeting": the core's rule on the live agenda (as every other caller).
/// "Join next meeting": the tray menu's item and the global shortcut, by the core's one
/// rule ([`control::join_next`]).
pub fn join_next<R: Runtime>(app: &AppHandle<R>) {
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks().clone();
    tasks.spawn("join next", async move {
        if let Err(e) = control::join_next(&backend, opener::open).await {
            tracing::warn!(code = e.code.as_str(), "join next failed: {e}");
        }
    });
}

/// Pause / resume from the tray, then show the new state at once.
fn spawn_pause<R: Runtime>(app: &AppHandle<R>, id: MenuId) {
    let mode = match id {
        MenuId::Pause1h => PauseMode::OneHour,
        MenuId::PauseTomorrow => PauseMode::Tomorrow,
        _ => PauseMode::Resume,
    };
    let app = app.clone();
    let backend = app.state::<AppState>().backend.clone();
    let tasks = backend.tasks().clone();
    tasks.spawn("pause from the tray", async move {
        match control::pause(&backend, mode).await {
            Ok(_) => {
                let _ = refresh(&app).await;
            }
            Err(e) => tracing::warn!(code = e.code.as_str(), "pause from the tray failed: {e}"),
        }
    });
}

/// The tray's view of source and loop health and of the pause state.
async fn menu_context(backend: &Backend) -> MenuContext {
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
    let source_warning = sources::health(backend.ctx()).await.ok().and_then(|list| {
        list.into_iter()
            .find_map(|h| match (&h.last_error, h.stale, &h.cut) {
                (Some(e), _, _) if h.enabled => Some(format!("{}: {e}", h.name)),
                (None, true, _) if h.enabled => Some(format!("{}: data is out of date", h.name)),
                (None, false, Some(cut)) if h.enabled => Some(format!("{}: {cut}", h.name)),
                _ => None,
            })
    });
    let notify = match health::read(backend.ctx().pool()).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "reading the notifications' health failed");
            Default::default()
        }
    };
    MenuContext {
        health_warning: failing_loop.or(source_warning),
        paused_until,
        demo: false,
        notify_failing_since: notify.failing_since,
        reminders_waiting: notify.pending,
    }
}
