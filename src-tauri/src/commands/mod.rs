//! The commands the window may call. Each is one call of the core's API
//! (`calendarbot_core::api`, which validates and decides the error codes) and maps its
//! error to `{ code, message }`. Commands take ids and keys, never
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
pub mod hide;
pub mod settings;
pub mod sources;

use tauri::Runtime;

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
    control::get_alert() -> Option<control::Alert>;
    control::alert_action(action: control::AlertAction) -> ();
    sources::list_sources() -> Vec<sources::SourceView>;
    sources::add_source(input: sources::SourceInput) -> sources::SourceView;
    accounts::discover_account(input: accounts::AccountInput) -> calendarbot_core::caldav::accounts::AccountPreview;
    accounts::add_account(input: accounts::AccountInput, calendars: Vec<String>) -> Vec<sources::SourceView>;
    sources::update_source(id: i64, patch: sources::SourcePatch) -> sources::SourceView;
    sources::remove_source(id: i64) -> ();
    sources::test_source(input: sources::SourceInput) -> sources::ConnectionTest;
    hide::list_hidden() -> Vec<hide::HiddenView>;
    hide::hide_event(input: hide::HideInput) -> hide::HiddenView;
    hide::unhide_event(id: i64) -> hide::HiddenView;
    sources::choose_source_file() -> Option<sources::ChosenFile>;
}
