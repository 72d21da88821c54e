//! The one error of the API, and the one place it is mapped for each face: to the
//! window's stable snake_case code ([`ApiError::code`], with a message safe to show:
//! [`ApiError::window_message`]) and to the command line's exit code
//! ([`ApiError::exit_code`]: 2 for bad usage or input, 1 when the command could not do
//! its job).

use crate::backend::BackendError;
use crate::settings::SettingsError;
use crate::sources::SourceError;
use crate::window_policy::Refused;

/// What went wrong, as the window branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    InvalidValue,
    UnknownSetting,
    InvalidLocation,
    InvalidColor,
    DuplicateName,
    NotFound,
    MissingSecret,
    LocalNetwork,
    ReadOnly,
    NoLink,
    OpenFailed,
    NotificationsUnavailable,
    /// A server refused the user name or password.
    Unauthorized,
    /// A server could not be reached or answered with an error.
    FetchFailed,
    /// A location answered, but not with a calendar (a 404, a web page, not iCalendar).
    NotACalendar,
    /// A fault of the app or its environment (the database, the secrets store).
    Internal,
}

impl Code {
    /// The code on the wire (`{ code, message }`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidValue => "invalid_value",
            Self::UnknownSetting => "unknown_setting",
            Self::InvalidLocation => "invalid_location",
            Self::InvalidColor => "invalid_color",
            Self::DuplicateName => "duplicate_name",
            Self::NotFound => "not_found",
            Self::MissingSecret => "missing_secret",
            Self::LocalNetwork => "local_network",
            Self::ReadOnly => "read_only",
            Self::NoLink => "no_link",
            Self::OpenFailed => "open_failed",
            Self::NotificationsUnavailable => "notifications_unavailable",
            Self::Unauthorized => "unauthorized",
            Self::FetchFailed => "fetch_failed",
            Self::NotACalendar => "not_a_calendar",
            Self::Internal => "internal",
        }
    }

    /// The caller asked for something wrong (and can fix the request), rather than the
    /// app failing to do something right. A server refusing the credentials is a failure:
    /// the request was right, the server said no.
    pub const fn is_usage(self) -> bool {
        !matches!(
            self,
            Self::Internal
                | Self::OpenFailed
                | Self::NotificationsUnavailable
                | Self::FetchFailed
                | Self::Unauthorized
        )
    }
}

/// An operation's failure: a code and a message in words. For [`Code::Internal`] the
/// message is the whole cause (the command line prints it; the window gets
/// [`ApiError::window_message`] instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// What the window is told of an internal fault (the cause is logged).
pub const INTERNAL_MESSAGE: &str = "something went wrong; see the log for details";

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(Code::Internal, e.to_string())
    }

    /// The command line's exit code.
    pub fn exit_code(&self) -> u8 {
        if self.code.is_usage() {
            2
        } else {
            1
        }
    }

    /// The message for the window: the cause in words, except for internal faults,
    /// whose cause (paths, SQL) is logged, not shown.
    pub fn window_message(&self) -> String {
        if self.code == Code::Internal {
            tracing::error!(error = %self.message, "command failed");
            INTERNAL_MESSAGE.to_string()
        } else {
            self.message.clone()
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        let code = match e {
            SettingsError::UnknownKey(_) => Code::UnknownSetting,
            SettingsError::InvalidValue { .. } => Code::InvalidValue,
            SettingsError::Db(_) => Code::Internal,
        };
        Self::new(code, e.to_string())
    }
}

impl ApiError {
    /// A source error with the words of the error that wrapped it.
    pub fn from_source(e: &SourceError, message: String) -> Self {
        let mut out = Self::from_source_code(e);
        out.message = message;
        out
    }

    fn from_source_code(e: &SourceError) -> Self {
        let code = match e {
            SourceError::InvalidLocation(_) => Code::InvalidLocation,
            SourceError::InvalidColor(_) => Code::InvalidColor,
            SourceError::InvalidInterval | SourceError::InvalidLead => Code::InvalidValue,
            SourceError::DuplicateName(_) => Code::DuplicateName,
            SourceError::NotFound(_) => Code::NotFound,
            SourceError::MissingSecret(_) => Code::MissingSecret,
            SourceError::Secrets(_) | SourceError::Db(_) => Code::Internal,
        };
        Self::new(code, e.to_string())
    }
}

impl From<SourceError> for ApiError {
    fn from(e: SourceError) -> Self {
        Self::from_source_code(&e)
    }
}

impl From<Refused> for ApiError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Location(e) => e.into(),
            Refused::File => Self::new(Code::InvalidLocation, e.to_string()),
            Refused::LocalNetwork => Self::new(Code::LocalNetwork, e.to_string()),
            Refused::ReadOnlySetting(_) => Self::new(Code::ReadOnly, e.to_string()),
        }
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> Self {
        Self::internal(e)
    }
}

impl From<crate::cache::CacheError> for ApiError {
    fn from(e: crate::cache::CacheError) -> Self {
        Self::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table both faces rely on: a bad value is the caller's (exit 2, its code and
    /// words in the window); a database fault is the app's (exit 1, no detail shown).
    #[test]
    fn each_cause_maps_to_one_code_and_one_exit_code() {
        let bad: ApiError = SettingsError::InvalidValue {
            key: "k".into(),
            reason: "no".into(),
        }
        .into();
        assert_eq!((bad.code.as_str(), bad.exit_code()), ("invalid_value", 2));
        assert_eq!(bad.window_message(), "invalid value for k: no");
        let db: ApiError = SourceError::Db(sqlx::Error::PoolClosed).into();
        assert_eq!((db.code.as_str(), db.exit_code()), ("internal", 1));
        assert_eq!(db.window_message(), INTERNAL_MESSAGE);
        assert!(db.message.contains("database error"), "{}", db.message);
        let refused: ApiError = Refused::ReadOnlySetting("app.autostart".into()).into();
        assert_eq!(
            (refused.code.as_str(), refused.exit_code()),
            ("read_only", 2)
        );
    }
}
