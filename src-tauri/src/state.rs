//! The state Tauri manages: the backend and the exit flags. Cleanup does not live in
//! `Drop` (Tauri does not drop managed state at exit); `lifecycle` drives it.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use calendarbot_core::backend::Backend;
use calendarbot_core::menu_model::MenuModel;

use crate::instance::InstanceLock;

pub struct AppState {
    pub backend: Arc<Backend>,
    /// Set once shutdown has begun (Quit, a signal or an exit request).
    pub exiting: AtomicBool,
    /// Set once the backend has drained; exit requests are then allowed through.
    pub drained: AtomicBool,
    /// The menu currently shown, to map clicks on event lines back to occurrences.
    pub menu: Mutex<Option<MenuModel>>,
    /// Flushes the log file when dropped at the end of shutdown.
    pub log_guard: Mutex<Option<calendarbot_core::logging::WorkerGuard>>,
    /// The folder local calendars added from the window must be under (the user's
    /// home; see `calendarbot_core::window_policy`).
    pub local_root: PathBuf,
    /// Held for the life of the process: one instance per data directory.
    _lock: Option<InstanceLock>,
}

impl AppState {
    pub fn new(
        backend: Arc<Backend>,
        log_guard: Option<calendarbot_core::logging::WorkerGuard>,
        lock: impl Into<Option<InstanceLock>>,
    ) -> Self {
        Self {
            backend,
            exiting: AtomicBool::new(false),
            drained: AtomicBool::new(false),
            menu: Mutex::new(None),
            log_guard: Mutex::new(log_guard),
            // No home: nothing passes the check (a path that does not exist).
            local_root: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map_or_else(|| PathBuf::from("/nonexistent"), PathBuf::from),
            _lock: lock.into(),
        }
    }

    /// The same state with another folder for local calendars (tests).
    pub fn with_local_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.local_root = root.into();
        self
    }
}
