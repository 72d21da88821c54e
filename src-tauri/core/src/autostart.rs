//! Start at login: an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/calendarbot.desktop`)
//! written or removed to follow the `app.autostart` setting.
//!
//! Written here rather than through tauri-plugin-autostart: its Linux backend (the
//! auto-launch crate) writes under `~/.config` whatever `XDG_CONFIG_HOME` says, and takes
//! no arguments per entry, while a copy started with `--data-dir` must start again on
//! the same directory.

use std::io;
use std::path::{Path, PathBuf};

use crate::paths::Paths;

/// The entry's file name (shared with the installed `.desktop` file's base name).
pub const FILE_NAME: &str = "calendarbot.desktop";

/// Where the entry lives for the current user.
pub fn entry_path() -> io::Result<PathBuf> {
    dirs::config_dir()
        .map(|d| d.join("autostart").join(FILE_NAME))
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no XDG config directory"))
}

/// Makes the entry at `path` match `enabled`: writes it (starting `exe`, with
/// `--data-dir` when the app does not use the XDG default) or removes it.
pub fn apply(path: &Path, enabled: bool, exe: &Path, paths: &Paths) -> io::Result<()> {
    if !enabled {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let custom_dir = Paths::xdg()
        .map(|xdg| xdg.data_dir != paths.data_dir)
        .unwrap_or(true);
    let mut exec = quote_arg(&exe.to_string_lossy());
    if custom_dir {
        exec.push_str(" --data-dir ");
        exec.push_str(&quote_arg(&paths.data_dir.to_string_lossy()));
    }
    let exec = escape_string(&exec);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, desktop_entry(&exec))
}

/// The setting's key.
pub const SETTING: &str = "app.autostart";

/// Makes the current user's entry follow the setting, starting `calendarbot` from the
/// running binary's directory (the tray app runs as `calendarbot-app`, but the entry
/// names the command users know, which starts it). Call
/// after `app.autostart` is set (CLI or window) and at app start (the setting may have
/// been changed while the app was not running, or the entry deleted by hand).
pub fn follow_setting(enabled: bool, paths: &Paths) -> io::Result<()> {
    apply(
        &entry_path()?,
        enabled,
        &crate::paths::sibling_binary(crate::paths::COMMAND_BINARY)?,
        paths,
    )
}

fn desktop_entry(exec: &str) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=CalendarBot\n\
         Comment=Your next meetings in the tray, with reminders\n\
         Exec={exec}\n\
         Icon=calendarbot\n\
         Terminal=false\n\
         Categories=Office;Calendar;\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// One Exec argument, quoted as the Desktop Entry specification asks: inside double
/// quotes `"`, `` ` ``, `$` and `\` take a backslash, and a literal `%` is `%%` (a
/// field code otherwise). The whole value then gets the string escapes
/// ([`escape_string`]).
fn quote_arg(arg: &str) -> String {
    let mut out = String::from("\"");
    for c in arg.chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '%' => out.push_str("%%"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The escapes of every string value (`\\`, `\n`, `\t`, `\r`), applied to the whole
/// Exec value after quoting: a newline in a path stays inside the value instead of
/// starting a key of its own.
fn escape_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn enabling_writes_an_entry_that_starts_this_data_dir_and_disabling_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let entry = dir.path().join("autostart").join(FILE_NAME);
        let paths = Paths::under(dir.path().join("My Calendars"));
        apply(&entry, true, Path::new("/usr/bin/calendarbot"), &paths).unwrap();
        assert!(entry.is_file());
        let text = std::fs::read_to_string(&entry).unwrap();
        let exec = format!(
            "Exec=\"/usr/bin/calendarbot\" --data-dir \"{}\"",
            paths.data_dir.display()
        );
        assert!(text.lines().any(|l| l == exec), "{text}");
        assert!(text.starts_with("[Desktop Entry]\nType=Application\n"));
        apply(&entry, false, Path::new("/usr/bin/calendarbot"), &paths).unwrap();
        assert!(!entry.is_file());
        // Disabling twice is fine.
        apply(&entry, false, Path::new("/usr/bin/calendarbot"), &paths).unwrap();
    }

    #[test]
    fn exec_arguments_are_quoted_per_the_desktop_entry_spec() {
        let exec = |a: &str| escape_string(&quote_arg(a));
        assert_eq!(exec("/opt/Calendar Bot/cb"), "\"/opt/Calendar Bot/cb\"");
        assert_eq!(exec("100%"), "\"100%%\"");
        assert_eq!(exec("a$b\"c"), "\"a\\\\$b\\\\\"c\"");
        assert_eq!(exec("a\\b"), "\"a\\\\\\\\b\"");
        assert_eq!(exec("tab\there"), "\"tab\\there\"");
    }

    /// Undoes the string escapes, as a desktop-entry reader does.
    fn unescape(value: &str) -> String {
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('s') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        }
        out
    }

    #[test]
    fn a_newline_in_the_data_dir_cannot_add_a_line_to_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let entry = dir.path().join("autostart").join(FILE_NAME);
        let hostile = dir.path().join("cal\nHidden=true\nExec=/bin/evil");
        let paths = Paths::under(&hostile);
        apply(&entry, true, Path::new("/usr/bin/calendarbot"), &paths).unwrap();
        let text = std::fs::read_to_string(&entry).unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .collect();
        assert_eq!(keys.iter().filter(|k| **k == "Exec").count(), 1, "{text}");
        assert!(!keys.contains(&"Hidden"), "{text}");
        // Read back as a launcher would, the argument is the path, newlines and all.
        let exec = text.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap();
        let expected = format!(
            "\"/usr/bin/calendarbot\" --data-dir \"{}\"",
            hostile.display()
        );
        assert_eq!(unescape(exec), expected);
    }
}
