//! The only way a link leaves the app. Links come from feeds (hostile input), so
//! only https/http and the known meeting-app schemes are opened; everything else
//! (javascript:, file:, data:, custom handlers) is refused.
//!
//! `CALENDARBOT_OPEN_LOG=FILE` makes the opener append the URL to FILE instead of
//! launching a browser: the end-to-end tests use it to see what Join would open.

use std::io::Write;

/// Schemes of desktop meeting clients that a Join may hand a link to.
const MEETING_SCHEMES: &[&str] = &[
    "zoommtg",
    "zoomus",
    "msteams",
    "webex",
    "wbx",
    "gotomeeting",
    "slack",
    "chime",
    "skype",
    "facetime",
    "tel",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("this link is not a web or meeting link, so it is not opened")]
    Refused,
    #[error("could not open the link: {0}")]
    Failed(String),
}

/// True when `url` may be opened: https/http with a host, or a known meeting scheme.
pub fn is_allowed(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    match scheme.as_str() {
        "https" | "http" => rest.starts_with("//") && rest.len() > 2,
        s => MEETING_SCHEMES.contains(&s),
    }
}

/// Opens `url` with the desktop's handler, off the async workers.
pub fn open(url: &str) -> Result<(), OpenError> {
    if !is_allowed(url) {
        return Err(OpenError::Refused);
    }
    if let Some(log) = std::env::var_os("CALENDARBOT_OPEN_LOG") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| OpenError::Failed(e.to_string()))?;
        return writeln!(f, "{url}").map_err(|e| OpenError::Failed(e.to_string()));
    }
    open::that_detached(url).map_err(|e| OpenError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_meeting_links_are_allowed() {
        for ok in [
            "https://meet.google.com/abc-defg-hij",
            "http://example.com/x",
            "zoommtg://zoom.us/join?confno=1",
            "msteams:/l/meetup-join/x",
        ] {
            assert!(is_allowed(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "file:///etc/passwd",
            "data:text/html,x",
            "https:evil",
            "https://a b",
            "vbscript:x",
            "",
        ] {
            assert!(!is_allowed(bad), "{bad}");
        }
        assert_eq!(open("javascript:alert(1)"), Err(OpenError::Refused));
    }
}
