//! Content lines: unfolding and splitting `NAME;PARAM=...:VALUE` (RFC 5545 section 3.1).
//!
//! Unfolding works on bytes, before any UTF-8 decoding: a fold may split a multi-byte
//! character (writers fold at 75 octets, not characters), and decoding each physical line
//! first would turn both halves into U+FFFD. Only invalid UTF-8 that survives unfolding
//! is replaced (lossily), so one bad byte costs one character, not the feed.

use std::borrow::Cow;

/// One logical (unfolded) content line, borrowing from the body where it can (an
/// unfolded, valid UTF-8 line with an upper-case name allocates only its parameter list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentLine<'a> {
    /// Property name, upper case.
    pub name: Cow<'a, str>,
    /// Parameters in order: name upper case, values with quotes removed.
    pub params: Vec<(Cow<'a, str>, Vec<Cow<'a, str>>)>,
    /// The raw value (escapes not yet interpreted; see [`super::text`]).
    pub value: Cow<'a, str>,
}

impl ContentLine<'_> {
    /// The first value of parameter `name` (upper case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(|v| &**v)
    }

    /// All values of parameter `name` (upper case).
    pub fn param_values(&self, name: &str) -> &[Cow<'_, str>] {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .unwrap_or_default()
    }

    /// The same line owning its text (for lines kept after the body is gone).
    pub fn into_owned(self) -> ContentLine<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        ContentLine {
            name: own(self.name),
            params: self
                .params
                .into_iter()
                .map(|(n, v)| (own(n), v.into_iter().map(own).collect()))
                .collect(),
            value: own(self.value),
        }
    }
}

/// Iterates the logical lines of a body (unfolded, without line ends, empty lines skipped).
pub struct Unfolder<'a> {
    rest: &'a [u8],
}

impl<'a> Unfolder<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        Unfolder { rest: body }
    }

    fn next_physical(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        // memchr: the line search is most of the unfolding's time on a large feed.
        let (line, rest) = match memchr::memchr(b'\n', self.rest) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }

    fn next_is_continuation(&self) -> bool {
        matches!(self.rest.first(), Some(b' ') | Some(b'\t'))
    }
}

impl<'a> Iterator for Unfolder<'a> {
    type Item = Cow<'a, [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let first = self.next_physical()?;
            if !self.next_is_continuation() {
                if first.is_empty() {
                    continue;
                }
                return Some(Cow::Borrowed(first));
            }
            let mut joined = first.to_vec();
            while self.next_is_continuation() {
                let Some(cont) = self.next_physical() else {
                    break;
                };
                // Drop exactly the one folding whitespace character.
                joined.extend_from_slice(&cont[1..]);
            }
            if joined.is_empty() {
                continue;
            }
            return Some(Cow::Owned(joined));
        }
    }
}

/// Upper case, borrowed when it already is (property and parameter names nearly always).
fn upper(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(s.to_ascii_uppercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Splits one unfolded line. `None` when it has no `:` (not a content line).
///
/// Invalid UTF-8 is replaced (lossily) and the line then owns its text.
pub fn parse_line(raw: &[u8]) -> Option<ContentLine<'_>> {
    match std::str::from_utf8(raw) {
        Ok(s) => split_line(s),
        Err(_) => {
            let text = String::from_utf8_lossy(raw);
            split_line(&text).map(ContentLine::into_owned)
        }
    }
}

fn split_line(s: &str) -> Option<ContentLine<'_>> {
    let bytes = s.as_bytes();
    // Name: up to the first ';' or ':'.
    let name_end = memchr::memchr2(b';', b':', bytes)?;
    let name = upper(s[..name_end].trim());
    if name.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    let mut i = name_end;
    while bytes.get(i) == Some(&b';') {
        i += 1;
        // Parameter name up to '='.
        let eq = memchr::memchr3(b'=', b':', b';', &bytes[i..])? + i;
        let pname = upper(s[i..eq].trim());
        if bytes[eq] != b'=' {
            // A valueless parameter (invalid, but seen): keep going.
            params.push((pname, Vec::new()));
            i = eq;
            continue;
        }
        i = eq + 1;
        let mut values = Vec::new();
        loop {
            if bytes.get(i) == Some(&b'"') {
                // Quoted: anything up to the closing quote, including ; : ,
                let close = memchr::memchr(b'"', &bytes[i + 1..]).map(|p| p + i + 1)?;
                values.push(Cow::Borrowed(&s[i + 1..close]));
                i = close + 1;
            } else {
                let mut end =
                    memchr::memchr3(b',', b';', b':', &bytes[i..]).map_or(s.len(), |p| p + i);
                // Outlook writes `TZID=tzone://Microsoft/Utc` unquoted: a ':' followed by
                // "//" is part of a URI-like value, not the start of the property value.
                while bytes.get(end) == Some(&b':') && s[end + 1..].starts_with("//") {
                    end = memchr::memchr3(b',', b';', b':', &bytes[end + 1..])
                        .map_or(s.len(), |p| p + end + 1);
                }
                values.push(Cow::Borrowed(&s[i..end]));
                i = end;
            }
            if bytes.get(i) == Some(&b',') {
                i += 1;
                continue;
            }
            break;
        }
        params.push((pname, values));
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    Some(ContentLine {
        name,
        params,
        value: Cow::Borrowed(&s[i + 1..]),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_inside_multibyte_characters() {
        // "é" is C3 A9; fold between the two bytes.
        let body = b"SUMMARY:caf\xC3\r\n \xA9 \xE6\x9D\r\n\t\xB1\xE4\xBA\xAC\r\n";
        let lines: Vec<_> = Unfolder::new(body).collect();
        assert_eq!(lines.len(), 1);
        let l = parse_line(&lines[0]).unwrap();
        assert_eq!(l.value, "café 東京");
    }

    #[test]
    fn quoted_params() {
        let l = parse_line(
            br#"ATTENDEE;CN="Doe, John";DELEGATED-FROM="mailto:a@x","mailto:b@x":mailto:j@x"#,
        )
        .unwrap();
        assert_eq!(l.param("CN"), Some("Doe, John"));
        assert_eq!(l.param_values("DELEGATED-FROM").len(), 2);
        assert_eq!(l.value, "mailto:j@x");
    }

    #[test]
    fn value_may_contain_colons() {
        let l = parse_line(b"DTSTART;TZID=\"tzone://Microsoft/Utc\":20260101T100000").unwrap();
        assert_eq!(l.param("TZID"), Some("tzone://Microsoft/Utc"));
        assert_eq!(l.value, "20260101T100000");
        let l = parse_line(b"DTSTART;TZID=tzone://Microsoft/Utc:20260101T100000").unwrap();
        assert_eq!(l.param("TZID"), Some("tzone://Microsoft/Utc"));
        assert_eq!(l.value, "20260101T100000");
        let l = parse_line(b"URL:https://x.test/a?b=c:d").unwrap();
        assert_eq!(l.value, "https://x.test/a?b=c:d");
    }
}
