//! Build script: tauri-build reads tauri.conf.json (beside the root Cargo.toml), the
//! capabilities in src-tauri/capabilities and the app's command list.

fn main() {
    // A custom capabilities path needs its own rerun instruction.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(calendarbot_commands())),
    )
    .expect("tauri-build failed");
}

/// Every app command, so each can be allowed by name in the capabilities.
/// Keep in sync with `commands::handler()` (the mock-runtime tests call each one).
fn calendarbot_commands() -> &'static [&'static str] {
    &[
        "get_overview",
        "get_agenda",
        "join_occurrence",
        "refresh_now",
        "pause_notifications",
        "close_window",
        "get_alert",
        "alert_action",
        "get_settings",
        "set_setting",
        "list_sources",
        "add_source",
        "update_source",
        "remove_source",
        "test_source",
        "choose_source_file",
        "discover_account",
        "add_account",
        "get_diagnostics",
        "list_hidden",
        "hide_event",
        "unhide_event",
    ]
}
