//! Names of the events the backend emits to the window: one place, as the UI's
//! `listen` calls spell them.

/// The agenda snapshot changed (new data, settings, day rollover).
pub const AGENDA_CHANGED: &str = "agenda-changed";
/// A source was added, changed, removed or refreshed.
pub const SOURCES_CHANGED: &str = "sources-changed";
