//! TEXT values: escapes (RFC 5545 section 3.3.11), lists, and display hygiene.
//!
//! `\\` is a backslash, `\n`/`\N` a newline, `\,` and `\;` the characters themselves;
//! the sequence `\\n` is therefore a backslash followed by `n`, not a newline (case 2).
//! Unknown escapes keep the character (lenient, as Outlook writes `\:`).

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
/// (case 54): embeddings/overrides U+202A-202E, isolates U+2066-2069, marks U+200E/F.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Removes bidi controls; used for one-line display fields (summary, location).
pub fn strip_bidi(s: String) -> String {
    if s.chars().any(is_bidi_control) {
        s.chars().filter(|c| !is_bidi_control(*c)).collect()
    } else {
        s
    }
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
    fn bidi() {
        assert_eq!(strip_bidi("a\u{202E}b\u{2066}c".into()), "abc");
    }
}
