//! Diagnostics: tasks, memory, blocking pool and where the logs are.

use serde::Serialize;
use tauri::State;

use calendarbot_core::monitor::TaskReport;

use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostics {
    pub tasks: TaskReport,
    pub data_dir: String,
    pub log_dir: String,
    pub version: &'static str,
}

#[tauri::command]
pub fn get_diagnostics(state: State<'_, AppState>) -> Diagnostics {
    let backend = &state.backend;
    Diagnostics {
        tasks: backend.tasks.report(),
        data_dir: backend.paths.data_dir.display().to_string(),
        log_dir: backend.paths.log_dir.display().to_string(),
        version: env!("CARGO_PKG_VERSION"),
    }
}
