//! Pre-scan of a feed body: decides in one cheap pass whether it is worth parsing.
//!
//! Rejects, in this order: empty bodies, web pages (login pages of revoked links, O365's
//! `<!-- Copyright` preamble), bodies that do not start with `BEGIN:VCALENDAR`, nesting
//! deeper than [`MAX_DEPTH`] (a nest bomb is rejected at its 9th level, so the cost does not
//! grow with its size), and bodies with no `END:VCALENDAR` (cut off mid-transfer).
//! Only line starts are inspected; folded continuation lines begin with a space or tab and
//! can never look like `BEGIN:`.

use super::FeedError;

/// Deepest component nesting accepted: VCALENDAR > VEVENT > VALARM is 3, VTIMEZONE >
/// STANDARD is 3; 8 leaves room for vendor extensions without letting a bomb through.
pub const MAX_DEPTH: usize = 8;

/// Checks a body before parsing. See the module header for the rules.
pub fn prescan(body: &[u8]) -> Result<(), FeedError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(FeedError::Empty);
    };
    let rest = &body[start..];
    if rest.first() == Some(&b'<') {
        // Any markup at the start: HTML, an HTML comment (O365), XML error documents.
        return Err(FeedError::WebPage);
    }
    let first_line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    if !trim_ascii(first_line).eq_ignore_ascii_case(b"BEGIN:VCALENDAR") {
        let head = String::from_utf8_lossy(&first_line[..first_line.len().min(40)]);
        let lower = head.to_ascii_lowercase();
        if lower.contains("html") {
            return Err(FeedError::WebPage);
        }
        // The first line never holds a feed secret (it is content, not the URL).
        return Err(FeedError::NotCalendar(format!(
            "first line is not BEGIN:VCALENDAR ({:?})",
            head.chars().filter(|c| !c.is_control()).collect::<String>()
        )));
    }

    let mut depth = 0usize;
    let mut closed = false;
    for line in rest.split(|&b| b == b'\n') {
        let line = trim_ascii(line);
        if line.len() >= 6 && line[..6].eq_ignore_ascii_case(b"BEGIN:") {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(FeedError::TooDeep(depth));
            }
        } else if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"END:") {
            depth = depth.saturating_sub(1);
            if line[4..].eq_ignore_ascii_case(b"VCALENDAR") {
                closed = true;
            }
        }
    }
    if !closed {
        return Err(FeedError::Truncated);
    }
    Ok(())
}

/// `<[u8]>::trim_ascii` without the MSRV question: trims ASCII whitespace at both ends.
pub(crate) fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn classifies_bodies() {
        assert_eq!(prescan(b""), Err(FeedError::Empty));
        assert_eq!(prescan(b"  \r\n"), Err(FeedError::Empty));
        assert_eq!(
            prescan(b"<!DOCTYPE html><html>Sign in</html>"),
            Err(FeedError::WebPage)
        );
        assert_eq!(
            prescan(b"<!-- Copyright (C) Microsoft Corporation -->\r\n<html>"),
            Err(FeedError::WebPage)
        );
        assert!(matches!(
            prescan(b"hello world"),
            Err(FeedError::NotCalendar(_))
        ));
        assert_eq!(
            prescan(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"),
            Err(FeedError::Truncated)
        );
        assert_eq!(prescan(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), Ok(()));
    }

    #[test]
    fn nest_bomb_is_rejected_fast() {
        let mut body = b"BEGIN:VCALENDAR\r\n".to_vec();
        for _ in 0..50_000 {
            body.extend_from_slice(b"BEGIN:VEVENT\r\n");
        }
        let t = std::time::Instant::now();
        assert_eq!(prescan(&body), Err(FeedError::TooDeep(9)));
        assert!(t.elapsed() < std::time::Duration::from_millis(5));
    }
}
