//! Exit policy and graceful shutdown.
//!
//! Closing the window must not quit a tray app; Quit, SIGINT, SIGTERM and an exit
//! request from Tauri must all run the same drain exactly once, and the process must
//! exit 0 within a bound even if a task misbehaves.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// How long the backend may take to drain its tasks.
pub const DRAIN_BOUND: Duration = Duration::from_secs(3);
/// After this the process exits even if the drain is stuck (SIGTERM must end in 5 s).
pub const HARD_EXIT_AFTER: Duration = Duration::from_millis(4500);

/// What to do with an exit request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitDecision {
    /// Let the process exit.
    Allow,
    /// Prevent it and keep running (the app lives in the tray).
    KeepRunning,
    /// Prevent it, drain, then exit.
    ShutdownThenExit,
}

/// The exit policy. `code` is Tauri's `ExitRequested { code }`: `None` when the last
/// window closed, `Some` when something asked the app to exit.
pub fn decide_exit(code: Option<i32>, exiting: bool, drained: bool) -> ExitDecision {
    match (code, exiting, drained) {
        (_, _, true) => ExitDecision::Allow,
        // A drain is under way; it ends with an exit of its own.
        (_, true, false) => ExitDecision::KeepRunning,
        // The window closed: stay in the tray.
        (None, false, false) => ExitDecision::KeepRunning,
        (Some(_), false, false) => ExitDecision::ShutdownThenExit,
    }
}

/// Starts the graceful shutdown once; later calls do nothing.
pub fn shutdown<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.exiting.swap(true, Ordering::SeqCst) {
        return;
    }
    // A hard bound that holds even if the runtime itself is wedged.
    std::thread::spawn(|| {
        std::thread::sleep(HARD_EXIT_AFTER);
        eprintln!("calendarbot: shutdown overran {HARD_EXIT_AFTER:?}; exiting");
        std::process::exit(0);
    });
    let app = app.clone();
    // Outside the task registry: this task is what drains it.
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        state.backend.shutdown(DRAIN_BOUND).await;
        state.drained.store(true, Ordering::SeqCst);
        flush_logs(&state);
        app.exit(0);
    });
}

/// The fallback at `RunEvent::Exit`: drain synchronously if nothing did yet.
pub fn on_exit<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if !state.drained.swap(true, Ordering::SeqCst) {
        tauri::async_runtime::block_on(state.backend.shutdown(DRAIN_BOUND));
        flush_logs(&state);
    }
}

fn flush_logs(state: &AppState) {
    // Dropping the guard flushes the non-blocking log writer.
    drop(
        state
            .log_guard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(),
    );
}

/// Runs `shutdown` on SIGINT or SIGTERM. Not in the task registry: the drain waits for
/// the registry's tasks, and this one waits for a signal that may never come.
pub fn watch_signals<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                tracing::error!("cannot install signal handlers");
                return;
            };
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM received"),
                _ = int.recv() => tracing::info!("SIGINT received"),
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        shutdown(&app);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_decision_table() {
        use ExitDecision::*;
        // (code, exiting, drained) -> decision, every combination.
        let table = [
            (None, false, false, KeepRunning),
            (None, true, false, KeepRunning),
            (None, false, true, Allow),
            (None, true, true, Allow),
            (Some(0), false, false, ShutdownThenExit),
            (Some(0), true, false, KeepRunning),
            (Some(0), false, true, Allow),
            (Some(0), true, true, Allow),
            (Some(1), false, false, ShutdownThenExit),
        ];
        for (code, exiting, drained, expected) in table {
            assert_eq!(
                decide_exit(code, exiting, drained),
                expected,
                "{code:?} {exiting} {drained}"
            );
        }
    }
}
