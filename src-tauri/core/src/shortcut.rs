//! The "join next meeting" key combination: what the setting `app.join_shortcut` accepts
//! and its canonical spelling (`Ctrl+Alt+J`).
//!
//! The grammar is a deliberate subset of what the shell's global-shortcut plugin parses:
//! at least one modifier (a bare letter grabbed system-wide would eat that key in every
//! application) and one key that exists on every layout (a letter, a digit, F1 to F24,
//! Space). The core cannot depend on the plugin (it is Tauri-free), so the settings page,
//! the command line and the shell all go through this one check, and the plugin only ever
//! sees canonical text.

/// Modifiers in canonical order, with the spellings accepted for each.
const MODIFIERS: &[(&str, &[&str])] = &[
    ("Ctrl", &["ctrl", "control"]),
    ("Alt", &["alt"]),
    ("Shift", &["shift"]),
    ("Super", &["super", "meta", "win"]),
];

/// Checks a key combination and returns it canonical; empty (or blank) means none.
pub fn normalize(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let parts: Vec<&str> = text.split('+').map(str::trim).collect();
    let Some((key, mods)) = parts.split_last() else {
        return Ok(String::new());
    };
    if key.is_empty() {
        return Err(format!("'{text}' ends without a key, like Ctrl+Alt+J"));
    }
    let mut held = [false; MODIFIERS.len()];
    for m in mods {
        let lower = m.to_ascii_lowercase();
        let Some(i) = MODIFIERS
            .iter()
            .position(|(_, names)| names.contains(&lower.as_str()))
        else {
            return Err(format!(
                "'{m}' is not a modifier (use Ctrl, Alt, Shift or Super)"
            ));
        };
        held[i] = true;
    }
    if !held.iter().any(|h| *h) {
        return Err(format!(
            "'{text}' needs at least one of Ctrl, Alt, Shift or Super, like Ctrl+Alt+J"
        ));
    }
    let key = canonical_key(key).ok_or_else(|| {
        format!("'{key}' is not a key for a shortcut (use a letter, a digit, F1 to F24 or Space)")
    })?;
    let mut out: Vec<String> = MODIFIERS
        .iter()
        .zip(held)
        .filter(|(_, h)| *h)
        .map(|((name, _), _)| (*name).to_string())
        .collect();
    out.push(key);
    Ok(out.join("+"))
}

fn canonical_key(key: &str) -> Option<String> {
    let upper = key.to_ascii_uppercase();
    let mut chars = upper.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphanumeric() => return Some(c.to_string()),
        _ => {}
    }
    if upper == "SPACE" {
        return Some("Space".into());
    }
    let n: u8 = upper.strip_prefix('F')?.parse().ok()?;
    (1..=24).contains(&n).then(|| format!("F{n}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn combinations_are_canonicalised() {
        assert_eq!(normalize(" alt + ctrl + j ").unwrap(), "Ctrl+Alt+J");
        assert_eq!(normalize("Super+Shift+f12").unwrap(), "Shift+Super+F12");
        assert_eq!(normalize("control+space").unwrap(), "Ctrl+Space");
        assert_eq!(normalize("Ctrl+Alt+7").unwrap(), "Ctrl+Alt+7");
        assert_eq!(normalize("  ").unwrap(), "");
    }

    #[test]
    fn unusable_combinations_are_refused_in_words() {
        let e = normalize("J").unwrap_err();
        assert!(e.contains("needs at least one of Ctrl"), "{e}");
        let e = normalize("ctrl+").unwrap_err();
        assert!(e.contains("'ctrl+' ends without a key"), "{e}");
        let e = normalize("Hyper+J").unwrap_err();
        assert!(e.contains("'Hyper' is not a modifier"), "{e}");
        for bad in [
            "Ctrl+", "Ctrl+F25", "Ctrl+F0", "Ctrl+Tab", "Ctrl+é", "Ctrl+Alt",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
