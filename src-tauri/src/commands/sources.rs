//! Source commands for the window: list with health, add, edit, remove, and "test
//! connection" (see `calendarbot_core::api::sources`: locations typed or chosen in the
//! window go through `window_policy` there). Changes tell the window's pages.

use tauri::{AppHandle, Emitter, Runtime, State};

use calendarbot_core::api::sources as api;
pub use calendarbot_core::api::sources::{
    AuthChoice, AuthInput, ConnectionTest, HealthView, LocationKind, SourceInput, SourcePatch,
    SourceView,
};

use super::error::CmdResult;
use crate::events;
use crate::state::AppState;

#[tauri::command]
pub async fn list_sources(state: State<'_, AppState>) -> CmdResult<Vec<SourceView>> {
    Ok(api::views(state.backend.ctx()).await?)
}

#[tauri::command]
pub async fn add_source<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: SourceInput,
) -> CmdResult<SourceView> {
    let source = api::add_from_window(&state.backend, &state.local_root, input).await?;
    let _ = app.emit(events::SOURCES_CHANGED, ());
    Ok(source)
}

#[tauri::command]
pub async fn update_source<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
    patch: SourcePatch,
) -> CmdResult<SourceView> {
    let source = api::update(state.backend.ctx(), id, patch).await?;
    let _ = app.emit(events::SOURCES_CHANGED, ());
    Ok(source)
}

#[tauri::command]
pub async fn remove_source<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
) -> CmdResult<()> {
    api::remove_id(state.backend.ctx(), id).await?;
    let _ = app.emit(events::SOURCES_CHANGED, ());
    Ok(())
}

/// Fetches and parses a location once, through the shared client and its policies,
/// without storing anything.
#[tauri::command]
pub async fn test_source(
    state: State<'_, AppState>,
    input: SourceInput,
) -> CmdResult<ConnectionTest> {
    Ok(api::test_from_window(&state.backend, &state.local_root, input).await?)
}
