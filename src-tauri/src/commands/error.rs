//! The error every command returns: `{ code, message }`, with a stable snake_case
//! code the UI can branch on and a message safe to show (no URLs, no secrets).

use serde::Serialize;
use ts_rs::TS;

use calendarbot_core::window_policy::Refused;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new("not_found", format!("{what} not found"))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "command failed");
        Self::new("internal", "something went wrong; see the log for details")
    }
}

impl From<calendarbot_core::settings::SettingsError> for IpcError {
    fn from(e: calendarbot_core::settings::SettingsError) -> Self {
        use calendarbot_core::settings::SettingsError as E;
        match e {
            E::UnknownKey(_) => Self::new("unknown_setting", e.to_string()),
            E::InvalidValue { .. } => Self::new("invalid_value", e.to_string()),
            other => Self::internal(other),
        }
    }
}

impl From<calendarbot_core::backend::BackendError> for IpcError {
    fn from(e: calendarbot_core::backend::BackendError) -> Self {
        Self::internal(e)
    }
}

impl From<Refused> for IpcError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Location(e) => e.into(),
            Refused::File => Self::new("invalid_location", e.to_string()),
            Refused::LocalNetwork => Self::new("local_network", e.to_string()),
            Refused::ReadOnlySetting(_) => Self::new("read_only", e.to_string()),
        }
    }
}

pub type CmdResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let json = serde_json::to_value(IpcError::new("invalid_value", "no")).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({ "code": "invalid_value", "message": "no" })
        );
    }
}
