//! The error every command returns: `{ code, message }`, with a stable snake_case
//! code the UI can branch on and a message safe to show (no URLs, no secrets). The
//! codes and messages are decided by the core's [`ApiError`]; Tauri's own failures
//! (closing a window) are internal.

use serde::Serialize;
use ts_rs::TS;

use calendarbot_core::api::{ApiError, Code};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl IpcError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::new(Code::Internal, e.to_string()).into()
    }
}

impl From<ApiError> for IpcError {
    fn from(e: ApiError) -> Self {
        Self {
            code: e.code.as_str(),
            message: e.window_message(),
        }
    }
}

pub type CmdResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let e = IpcError::from(ApiError::new(Code::InvalidValue, "no"));
        let json = serde_json::to_value(e).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({ "code": "invalid_value", "message": "no" })
        );
    }
}
