//! TEXT values: escapes (RFC 5545 section 3.3.11), lists, and the one text boundary.
//!
//! `\\` is a backslash, `\n`/`\N` a newline, `\,` and `\;` the characters themselves;
//! the sequence `\\n` is therefore a backslash followed by `n`, not a newline (case 2).
//! Unknown escapes keep the character (lenient, as Outlook writes `\:`).
//!
//! The text boundary: every piece of feed text a user sees (summary, location, description,
//! attendee and organizer names, categories, calendar name) is made safe here, once, at
//! parse time, so the tray, notifications, the window, the CLI and JSON all get the same
//! clean text: [`clean_line`] / [`clean_summary`] for one-line fields and
//! [`clean_description`] for descriptions. They remove NUL and every other C0/C1 control
//! (descriptions keep newline and tab; one-line fields turn newline and tab into a space),
//! the bidi controls of [`is_bidi_control`], and cap the length on a char boundary:
//! [`MAX_LINE_BYTES`] for one-line fields, [`MAX_DESCRIPTION_BYTES`] for descriptions.

/// Interprets the escapes of a TEXT value.
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a TEXT list on unescaped commas, unescaping each item; empty items dropped.
pub fn split_list(s: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b',' => {
                items.push(&s[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    items.push(&s[start.min(s.len())..]);
    items
        .into_iter()
        .map(|item| unescape(item.trim()))
        .filter(|item| !item.is_empty())
        .collect()
}

/// True for the bidirectional controls that can reorder what a title appears to say
/// (case 54): embeddings/overrides U+202A-202E, isolates U+2066-2069, marks U+200E/F and
/// the Arabic letter mark U+061C.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True for every character feed text must never carry to a consumer (the one rule the
/// tray, notifications, window, CLI and JSON rely on): C0 and C1 controls (NUL included)
/// and DEL, the bidi controls of [`is_bidi_control`], the line and paragraph separators
/// U+2028/2029 (which break lines where a one-line field promised none) and the BOM U+FEFF.
/// [`clean_description`] keeps newline and tab; one-line fields turn them into spaces.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// Removes bidi controls (kept for callers that only need this part of [`clean_line`]).
pub fn strip_bidi(s: String) -> String {
    if s.chars().any(is_bidi_control) {
        s.chars().filter(|c| !is_bidi_control(*c)).collect()
    } else {
        s
    }
}

/// Cap of a one-line field (summary, location, names), in bytes of UTF-8.
pub const MAX_LINE_BYTES: usize = 1024;
/// Cap of a description, in bytes of UTF-8.
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;

/// True when `s` may hold something [`clean`] changes: an ASCII control, or a lead byte of
/// a C1 control (U+0080-009F are `C2 80`-`C2 9F`) or of a bidi control (`E2 80`/`E2 81`,
/// U+061C is `D8 9C`, U+FEFF is `EF BB BF`).
/// The common case (plain text) is one pass over the bytes with no allocation.
fn needs_cleaning(s: &str) -> bool {
    s.bytes()
        .any(|b| b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xD8 || b == 0xE2 || b == 0xEF)
}

/// The largest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn cap(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn clean(s: &str, multiline: bool, max: usize) -> String {
    if !needs_cleaning(s) {
        return cap(s, max).to_string();
    }
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars() {
        let keep = match c {
            '\n' | '\t' if multiline => Some(c),
            '\n' | '\t' => Some(' '),
            c if is_unsafe(c) => None,
            c => Some(c),
        };
        if let Some(k) = keep {
            if out.len() + k.len_utf8() > max {
                break;
            }
            out.push(k);
        }
    }
    out
}

/// A one-line field made safe for every consumer: controls and bidi controls removed,
/// newline and tab turned into spaces, surrounding whitespace trimmed, at most
/// [`MAX_LINE_BYTES`].
pub fn clean_line(s: &str) -> String {
    let c = clean(s.trim(), false, MAX_LINE_BYTES);
    if c.len() == c.trim().len() {
        c
    } else {
        c.trim().to_string()
    }
}

/// A SUMMARY made safe (same rules as [`clean_line`]).
pub fn clean_summary(s: &str) -> String {
    clean_line(s)
}

/// A DESCRIPTION made safe: controls and bidi controls removed except newline and tab,
/// at most [`MAX_DESCRIPTION_BYTES`].
pub fn clean_description(s: &str) -> String {
    clean(s, true, MAX_DESCRIPTION_BYTES)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn escapes_case_2() {
        assert_eq!(
            unescape(r"a\, b\; c\\n d\nline2"),
            "a, b; c\\n d\nline2".to_string()
        );
    }

    #[test]
    fn lists() {
        assert_eq!(split_list(r"Work, a\,b ,,x"), vec!["Work", "a,b", "x"]);
    }

    #[test]
    fn one_line_fields_lose_controls_and_bidi_and_are_capped() {
        assert_eq!(
            clean_summary("a\u{0}b\u{7}c\u{85}d\u{202E}e\u{2066}f\u{200F}g\nh\ti\r"),
            "abcdefg h i"
        );
        let long = "é".repeat(1000); // 2000 bytes
        let c = clean_summary(&long);
        assert_eq!(c.len(), 1024);
        assert!(c.chars().all(|ch| ch == 'é'));
        // An emoji straddling the cap is dropped whole, never split.
        let s = format!("{}\u{1F600}", "a".repeat(1022));
        assert_eq!(clean_summary(&s), "a".repeat(1022));
    }

    #[test]
    fn descriptions_keep_newline_and_tab() {
        assert_eq!(
            clean_description("l1\r\nl2\t\u{0}x\u{9B}y\u{202A}"),
            "l1\nl2\txy"
        );
        let big = "x".repeat(200_000);
        assert_eq!(clean_description(&big).len(), MAX_DESCRIPTION_BYTES);
    }

    #[test]
    fn bidi() {
        assert_eq!(strip_bidi("a\u{202E}b\u{2066}c".into()), "abc");
    }
}
