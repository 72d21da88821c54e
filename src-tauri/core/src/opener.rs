//! The only way a link leaves the app. Links come from feeds (hostile input), so only
//! what the join-link policy accepts ([`links::may_open`]: https/http and the known
//! meeting-app schemes) is opened; everything else (javascript:, file:, data:, custom
//! handlers) is refused.
//!
//! `CALENDARBOT_OPEN_LOG=FILE` makes the opener append the URL to FILE instead of
//! launching a browser: the end-to-end tests use it to see what Join would open.

use std::io::Write;

use crate::ics::links;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("this link is not a web or meeting link, so it is not opened")]
    Refused,
    #[error("could not open the link: {0}")]
    Failed(String),
}

/// Opens `url` with the desktop's handler, off the async workers.
pub fn open(url: &str) -> Result<(), OpenError> {
    if !links::may_open(url) {
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
    fn only_web_and_meeting_links_are_opened() {
        for ok in [
            "https://meet.google.com/abc-defg-hij",
            "http://example.com/x",
            "zoommtg://zoom.us/join?confno=1",
            "msteams:/l/meetup-join/x",
        ] {
            assert!(links::may_open(ok), "{ok}");
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
            assert!(!links::may_open(bad), "{bad}");
        }
        assert_eq!(open("javascript:alert(1)"), Err(OpenError::Refused));
    }
}
