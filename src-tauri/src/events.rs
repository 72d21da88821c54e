//! Names of the events the backend emits to the window: one place, as the UI's
//! `listen` calls spell them (the UI's type `AppEvent` is generated from this enum).

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AppEvent {
    /// The agenda snapshot changed (new data, settings, day rollover).
    AgendaChanged,
    /// A source was added, changed, removed or refreshed.
    SourcesChanged,
}

impl AppEvent {
    /// The event's name on the wire (its serde spelling).
    pub const fn name(self) -> &'static str {
        match self {
            Self::AgendaChanged => "agenda-changed",
            Self::SourcesChanged => "sources-changed",
        }
    }
}

pub const AGENDA_CHANGED: &str = AppEvent::AgendaChanged.name();
pub const SOURCES_CHANGED: &str = AppEvent::SourcesChanged.name();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_spelling() {
        for e in [AppEvent::AgendaChanged, AppEvent::SourcesChanged] {
            assert_eq!(serde_json::to_value(e).ok(), Some(e.name().into()));
        }
    }
}
