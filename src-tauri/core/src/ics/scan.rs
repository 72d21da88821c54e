//! Pre-scan of a feed body: decides in one cheap pass whether it is worth parsing.
//!
//! Rejects, in this order: empty bodies, web pages (login pages of revoked links, O365's
//! `<!-- Copyright` preamble), bodies that do not start with `BEGIN:VCALENDAR`, nesting
//! deeper than [`MAX_DEPTH`] (a nest bomb is rejected at its 9th level, so the cost does not
//! grow with its size), and bodies with no `END:VCALENDAR` (cut off mid-transfer).
//! A body that is a bare `BEGIN:VEVENT ... END:VEVENT` (no VCALENDAR around it, as some
//! tools export a single event) is accepted as [`Shape::BareEvents`]: the caller wraps it
//! in a VCALENDAR and says so in a warning.
//! Only line starts are inspected; folded continuation lines begin with a space or tab and
//! can never look like `BEGIN:`.

use super::FeedError;

/// Deepest component nesting accepted: VCALENDAR > VEVENT > VALARM is 3, VTIMEZONE >
/// STANDARD is 3; 8 leaves room for vendor extensions without letting a bomb through.
pub const MAX_DEPTH: usize = 8;

/// What kind of body passed the pre-scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Calendar,
    /// VEVENTs with no VCALENDAR around them.
    BareEvents,
}

/// Checks a body before parsing. See the module header for the rules.
pub fn prescan(body: &[u8]) -> Result<(), FeedError> {
    prescan_shape(body).map(|_| ())
}

/// [`prescan`], saying whether the body is a calendar or bare events.
pub fn prescan_shape(body: &[u8]) -> Result<Shape, FeedError> {
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
    let shape = if trim_ascii(first_line).eq_ignore_ascii_case(b"BEGIN:VEVENT") {
        Shape::BareEvents
    } else {
        Shape::Calendar
    };
    if shape == Shape::Calendar && !trim_ascii(first_line).eq_ignore_ascii_case(b"BEGIN:VCALENDAR")
    {
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

    // A bare event body is read inside a VCALENDAR the caller adds: one level deeper.
    let mut depth = usize::from(shape == Shape::BareEvents);
    let mut closed = false;
    let closing: &[u8] = match shape {
        Shape::Calendar => b"VCALENDAR",
        Shape::BareEvents => b"VEVENT",
    };
    // (memchr: this pass reads the whole body before the parser does.)
    let mut from = 0;
    loop {
        let end = memchr::memchr(b'\n', &rest[from..]).map_or(rest.len(), |i| from + i);
        let line = trim_ascii(&rest[from..end]);
        from = end + 1;
        if line.len() >= 6 && line[..6].eq_ignore_ascii_case(b"BEGIN:") {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(FeedError::TooDeep(depth));
            }
        } else if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"END:") {
            depth = depth.saturating_sub(1);
            if trim_ascii(&line[4..]).eq_ignore_ascii_case(closing) {
                closed = true;
            }
        }
        if end == rest.len() {
            break;
        }
    }
    if !closed {
        return Err(FeedError::Truncated);
    }
    Ok(shape)
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
        assert_eq!(
            prescan_shape(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            Ok(Shape::Calendar)
        );
        assert_eq!(
            prescan_shape(b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n"),
            Ok(Shape::BareEvents)
        );
        assert_eq!(
            prescan(b"BEGIN:VEVENT\r\nUID:x\r\n"),
            Err(FeedError::Truncated)
        );
    }

    #[test]
    fn nest_bomb_is_rejected_fast() {
        let mut body = b"BEGIN:VCALENDAR\r\n".to_vec();
        for _ in 0..50_000 {
            body.extend_from_slice(b"BEGIN:VEVENT\r\n");
        }
        // Rejected at the ninth level, without reading the other 49,991 lines (the error
        // names the depth it stopped at; no wall-clock assert).
        assert_eq!(prescan(&body), Err(FeedError::TooDeep(9)));
    }
}
