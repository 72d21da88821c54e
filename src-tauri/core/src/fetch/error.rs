//! Fetch errors, classified, in plain words.
//!
//! Messages never contain a URL's path or query nor any credential: they are shown in
//! the UI, written to the `feeds` row and logged. reqwest's own errors embed the URL,
//! so they are classified here and never formatted.

use chrono::{DateTime, Utc};

use super::policy::RedirectRefusal;
use crate::ics::FeedError;

/// What went wrong, as a stable code plus a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Connect, read or total timeout.
    Timeout,
    /// More than the cap after decompression.
    TooLarge {
        max_bytes: u64,
    },
    /// A final non-2xx status other than 429.
    Status(u16),
    /// 429 Too Many Requests.
    RateLimited,
    /// An HTML page instead of a calendar (a revoked or login-walled link).
    WebPage,
    /// A 200 with no body.
    Empty,
    /// No END:VCALENDAR.
    Truncated,
    /// Something else that is not iCalendar.
    NotCalendar,
    /// Nesting too deep to parse safely.
    TooDeep,
    /// The parser failed (or panicked) on this body.
    Parse,
    Redirect(RedirectRefusal),
    /// Could not reach the server.
    Connect,
    Tls,
    /// The connection broke mid-way or the body could not be decoded.
    Network,
    /// A local file source could not be read.
    File(std::io::ErrorKind),
    /// The circuit is open after repeated failures.
    CircuitOpen,
    /// The source asked us to wait (Retry-After) and that time has not come.
    Waiting,
    /// Shut down while fetching.
    Cancelled,
    /// The source's credentials could not be read.
    Secrets,
}

impl ErrorKind {
    /// A stable snake_case code (stored in `feeds.error_kind`, sent to the UI).
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::TooLarge { .. } => "too_large",
            ErrorKind::Status(_) => "http_status",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::WebPage => "web_page",
            ErrorKind::Empty => "empty",
            ErrorKind::Truncated => "truncated",
            ErrorKind::NotCalendar => "not_calendar",
            ErrorKind::TooDeep => "too_deep",
            ErrorKind::Parse => "parse",
            ErrorKind::Redirect(_) => "redirect_refused",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Network => "network",
            ErrorKind::File(_) => "file",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::Waiting => "retry_later",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Secrets => "secrets",
        }
    }

    /// The message for people.
    pub fn message(&self) -> String {
        match self {
            ErrorKind::Timeout => "timed out".into(),
            ErrorKind::TooLarge { max_bytes } => {
                format!("feed larger than {} MB", max_bytes.div_ceil(1024 * 1024))
            }
            ErrorKind::Status(code) => {
                let reason = reqwest::StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("error")
                    .to_ascii_lowercase();
                let hint = match code {
                    401 | 403 => ": check the credentials or the link",
                    404 | 410 => ": the link may have changed",
                    _ => "",
                };
                format!("server said {code} {reason}{hint}")
            }
            ErrorKind::RateLimited => "rate limited by the server".into(),
            ErrorKind::WebPage => "feed returned a web page; link may be revoked".into(),
            ErrorKind::Empty => "feed was empty".into(),
            ErrorKind::Truncated => "feed is truncated (incomplete download)".into(),
            ErrorKind::NotCalendar => "not an iCalendar feed".into(),
            ErrorKind::TooDeep => "feed is nested too deeply to read safely".into(),
            ErrorKind::Parse => "feed could not be read".into(),
            ErrorKind::Redirect(r) => r.to_string(),
            ErrorKind::Connect => "could not connect to the server".into(),
            ErrorKind::Tls => "secure connection failed".into(),
            ErrorKind::Network => "connection failed during the download".into(),
            ErrorKind::File(k) => match k {
                std::io::ErrorKind::NotFound => "file not found".into(),
                std::io::ErrorKind::PermissionDenied => {
                    "file not readable (permission denied)".into()
                }
                std::io::ErrorKind::InvalidInput => "not a regular file".into(),
                _ => "file could not be read".into(),
            },
            ErrorKind::CircuitOpen => "paused after repeated failures".into(),
            ErrorKind::Waiting => "waiting as the server asked".into(),
            ErrorKind::Cancelled => "cancelled".into(),
            ErrorKind::Secrets => "credentials could not be read from the secrets store".into(),
        }
    }

    /// Whether an immediate retry could help (transient network trouble).
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ErrorKind::Connect | ErrorKind::Network | ErrorKind::Status(502..=504)
        )
    }
}

/// A failed fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", kind.message())]
pub struct FetchError {
    pub kind: ErrorKind,
    /// When the server allows the next request (Retry-After on 429/503).
    pub retry_after: Option<DateTime<Utc>>,
}

impl FetchError {
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            retry_after: None,
        }
    }
}

impl From<ErrorKind> for FetchError {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<&FeedError> for ErrorKind {
    fn from(e: &FeedError) -> Self {
        match e {
            FeedError::Empty => ErrorKind::Empty,
            FeedError::WebPage => ErrorKind::WebPage,
            FeedError::Truncated => ErrorKind::Truncated,
            FeedError::TooDeep(_) => ErrorKind::TooDeep,
            // The engine's detail may quote the body: use our own words.
            _ => ErrorKind::NotCalendar,
        }
    }
}

/// Classifies a reqwest error without ever formatting it (its Display has the URL).
pub(crate) fn classify(e: &reqwest::Error) -> ErrorKind {
    if e.is_timeout() {
        return ErrorKind::Timeout;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<RedirectRefusal>() {
            return ErrorKind::Redirect(*r);
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return ErrorKind::Timeout;
            }
        }
        src = s.source();
    }
    if e.is_redirect() {
        return ErrorKind::Redirect(RedirectRefusal::TooMany);
    }
    if e.is_connect() {
        // rustls' errors surface as connect errors; tell them apart by their wording,
        // which never includes the URL.
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            let text = s.to_string().to_ascii_lowercase();
            if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
                return ErrorKind::Tls;
            }
            src = s.source();
        }
        return ErrorKind::Connect;
    }
    ErrorKind::Network
}

/// Parses a Retry-After value: delay-seconds or an HTTP-date. Capped at one day so a
/// hostile or broken server cannot silence a source for good.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let max = now + chrono::Duration::days(1);
    if let Ok(secs) = value.parse::<u64>() {
        let secs = secs.min(86_400) as i64;
        return Some(now + chrono::Duration::seconds(secs));
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is RFC 2822-compatible.
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some(at.clamp(now, max))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_both_forms() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(now + chrono::Duration::seconds(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 09:05:00 GMT", now),
            Some(Utc.with_ymd_and_hms(2026, 3, 1, 9, 5, 0).unwrap())
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 08:00:00 GMT", now),
            Some(now)
        );
        assert_eq!(
            parse_retry_after("99999999", now),
            Some(now + chrono::Duration::days(1))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn messages_are_plain_words() {
        assert_eq!(
            ErrorKind::Status(404).message(),
            "server said 404 not found: the link may have changed"
        );
        assert_eq!(
            ErrorKind::TooLarge {
                max_bytes: 10 * 1024 * 1024
            }
            .message(),
            "feed larger than 10 MB"
        );
        assert_eq!(
            ErrorKind::WebPage.message(),
            "feed returned a web page; link may be revoked"
        );
        assert_eq!(ErrorKind::Timeout.message(), "timed out");
    }
}
