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
    let mut exec = quote(&exe.to_string_lossy());
    if custom_dir {
        exec.push_str(" --data-dir ");
        exec.push_str(&quote(&paths.data_dir.to_string_lossy()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, desktop_entry(&exec))
}

/// The setting's key.
pub const SETTING: &str = "app.autostart";

/// Makes the current user's entry follow the setting, starting this executable. Call
/// after `app.autostart` is set (CLI or window) and at app start (the setting may have
/// been changed while the app was not running, or the entry deleted by hand).
pub fn follow_setting(enabled: bool, paths: &Paths) -> io::Result<()> {
    apply(&entry_path()?, enabled, &std::env::current_exe()?, paths)
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
/// quotes `"`, `` ` ``, `$` and `\` are backslash-escaped, and a literal `%` is `%%`
/// (a field code otherwise); the key's own string escaping then doubles the backslashes.
fn quote(arg: &str) -> String {
    let mut out = String::from("\"");
    for c in arg.chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                out.push_str("\\\\");
                out.push(c);
            }
            '%' => out.push_str("%%"),
            _ => out.push(c),
        }
    }
    out.push('"');
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
        assert_eq!(quote("/opt/Calendar Bot/cb"), "\"/opt/Calendar Bot/cb\"");
        assert_eq!(quote("100%"), "\"100%%\"");
        assert_eq!(quote("a$b\"c"), "\"a\\\\$b\\\\\"c\"");
    }
}
