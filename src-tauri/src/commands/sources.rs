//! Source commands for the window: list with health, add, edit, remove, "test
//! connection" and the file chooser (see `calendarbot_core::api::sources`: locations
//! typed or chosen in the window go through `window_policy` there). Changes tell the
//! window's pages.

use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use calendarbot_core::window_policy::ChosenFiles;

use calendarbot_core::api::sources as api;
pub use calendarbot_core::api::sources::{
    AuthChoice, AuthInput, ChosenFile, ConnectionTest, HealthView, LocationKind, SourceInput,
    SourcePatch, SourceView,
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
    let chosen = chosen_files(&app);
    let source = api::add_from_window(&state.backend, &state.local_root, &chosen, input).await?;
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
pub async fn test_source<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: SourceInput,
) -> CmdResult<ConnectionTest> {
    let chosen = chosen_files(&app);
    Ok(api::test_from_window(&state.backend, &state.local_root, &chosen, input).await?)
}

/// Opens the system's file chooser for a local calendar (*.ics, *.ical) and answers
/// with a token for the chosen file, or `null` when the user cancelled. The dialog is
/// opened here, from Rust, so the page never names the path Add will read: a file from
/// the chooser may be outside the home folder because the user picked it (see
/// `window_policy`), and a path typed or scripted in the page still gets the home rule.
#[tauri::command]
pub async fn choose_source_file<R: Runtime>(
    app: AppHandle<R>,
    window: tauri::WebviewWindow<R>,
    state: State<'_, AppState>,
) -> CmdResult<Option<ChosenFile>> {
    let dialog = app
        .dialog()
        .file()
        .set_title("Choose a calendar file")
        .add_filter(
            "Calendar files (*.ics, *.ical)",
            &["ics", "ical", "ICS", "ICAL"],
        )
        .set_directory(&state.local_root)
        .set_parent(&window);
    // The dialog runs on the event loop; this command awaits its answer without holding
    // one of the runtime's two workers for as long as the user browses.
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.pick_file(move |picked| {
        let _ = tx.send(picked);
    });
    let picked = rx
        .await
        .map_err(|_| super::error::IpcError::internal("the file chooser gave no answer"))?;
    let Some(picked) = picked else {
        return Ok(None);
    };
    let path = picked
        .into_path()
        .map_err(|_| super::error::IpcError::internal("the chooser returned no local path"))?;
    let chosen = chosen_files(&app);
    Ok(Some(api::chosen_file(&state.backend, &chosen, path).await?))
}

/// The files picked in the chooser during this run (managed on first use).
fn chosen_files<R: Runtime>(app: &AppHandle<R>) -> State<'_, ChosenFiles> {
    if app.try_state::<ChosenFiles>().is_none() {
        app.manage(ChosenFiles::default());
    }
    app.state::<ChosenFiles>()
}
