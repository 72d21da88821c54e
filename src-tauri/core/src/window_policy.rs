//! What the window may ask for: its commands are a less trusted caller than the command
//! line, because the webview also shows text from every feed.
//!
//! A script that got into the page must not be able to make the app read any file,
//! learn whether a path exists, block on a FIFO or read `/dev/zero`, nor fetch the
//! machine itself or the local network (a router's admin page, cloud metadata at
//! 169.254.169.254). So, from the window:
//! - a local calendar is a regular `.ics` / `.ical` file under the user's home folder,
//!   and every path that is not gets the same answer ([`FILE_REFUSED`]);
//! - an address on this computer or a private or link-local network is refused unless
//!   `fetch.allow_local_network` is on (the same test as the redirect policy:
//!   [`crate::fetch::policy::is_local_url`]);
//! - the settings that widen those rules or write outside the data directory
//!   ([`READ_ONLY_SETTINGS`]) are changed only with `calendarbot settings set`.
//!
//! One exception: a file the user picked in the app's own file chooser ("Choose file…",
//! opened by the shell, never by the page) may be anywhere and have any name, because
//! the person chose it, not the page. The page never sends that path: it gets a token
//! for it ([`ChosenFiles`]), and a token it did not get from the chooser names nothing.
//! The file must still be a regular readable file ([`check_chosen_file`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::fetch::policy::is_local_url;
use crate::sources::{check_calendar_file, parse_location, Location, SourceError};

/// The one answer for a path the window may not use, whatever the reason.
pub const FILE_REFUSED: &str =
    "choose a calendar file (.ics or .ical) in your home folder that you can read";

/// Settings the window may read but not change.
pub const READ_ONLY_SETTINGS: &[&str] = &["fetch.allow_local_network", "app.autostart"];

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Location(#[from] SourceError),
    #[error("{}", FILE_REFUSED)]
    File,
    #[error("addresses on this computer or the local network are not allowed from the window (`calendarbot settings set fetch.allow_local_network true` allows them)")]
    LocalNetwork,
    #[error("{0} can only be changed with `calendarbot settings set`")]
    ReadOnlySetting(String),
}

/// Parses a location typed or chosen in the window and applies the rules above. A file
/// comes back as its canonical path (symbolic links resolved).
pub fn check_location(
    input: &str,
    home: &Path,
    allow_local_network: bool,
) -> Result<Location, Refused> {
    match parse_location(input)? {
        Location::File(path) => Ok(Location::File(check_file(&path, home)?)),
        Location::Url { url, .. } if !allow_local_network && is_local_url(&url) => {
            Err(Refused::LocalNetwork)
        }
        url => Ok(url),
    }
}

/// The canonical path of a readable regular calendar file under `home`. Each test gives
/// the same refusal, so the answer never tells whether the path exists.
fn check_file(path: &Path, home: &Path) -> Result<PathBuf, Refused> {
    let calendar_name = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("ics") || e.eq_ignore_ascii_case("ical"))
    };
    if !calendar_name(path) {
        return Err(Refused::File);
    }
    let home = std::fs::canonicalize(home).map_err(|_| Refused::File)?;
    let real = std::fs::canonicalize(path).map_err(|_| Refused::File)?;
    // Checked on the target too: `cal.ics` may be a link to `~/.ssh/id_ed25519`.
    if !real.starts_with(&home) || !calendar_name(&real) || real.to_str().is_none() {
        return Err(Refused::File);
    }
    // A regular file this user can read, by the rule the command line uses (which
    // checks the metadata first: opening a FIFO would block until a writer comes);
    // its words are not shown here, every refusal is the one answer.
    check_calendar_file(&real).map_err(|_| Refused::File)?;
    Ok(real)
}

/// Files picked in the file chooser, by the token the page was given for each. Kept for
/// the window's life (a handful of paths at most; one per pick).
#[derive(Debug, Default)]
pub struct ChosenFiles {
    files: Mutex<HashMap<String, PathBuf>>,
}

impl ChosenFiles {
    /// Remembers a path the chooser returned; the token is what the page may send back.
    pub fn remember(&self, path: PathBuf) -> String {
        let token = format!("chosen-{:016x}", rand::random::<u64>());
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), path);
        token
    }

    /// The path of a token from [`ChosenFiles::remember`]; any other token is the
    /// window's one refusal of a path.
    pub fn path(&self, token: &str) -> Result<PathBuf, Refused> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
            .ok_or(Refused::File)
    }
}

/// A file from the chooser: anywhere, any name (the user picked it), but a regular file
/// this user can read, by the command line's rule; its canonical path is what is stored.
/// The refusal is in that rule's own words: the user chose this path, so they may
/// learn what is wrong with it.
pub fn check_chosen_file(path: &Path) -> Result<Location, Refused> {
    check_calendar_file(path)?;
    let real = std::fs::canonicalize(path).map_err(|e| {
        SourceError::InvalidLocation(format!("{} cannot be read ({e})", path.display()))
    })?;
    if real.to_str().is_none() {
        return Err(
            SourceError::InvalidLocation("the file's path is not valid UTF-8".into()).into(),
        );
    }
    Ok(Location::File(real))
}

/// Checks a CalDAV account's address typed in the window: every place discovery would
/// start from ([`crate::caldav::presets::start_points`]) must pass the local-network
/// rule above. The command line may name a server on this computer; the window may not,
/// unless `fetch.allow_local_network` is on.
pub fn check_account_address(input: &str, allow_local_network: bool) -> Result<(), Refused> {
    let start = crate::caldav::presets::start_points(input)
        .map_err(|e| Refused::Location(SourceError::InvalidLocation(e.0.to_string())))?;
    if !allow_local_network && start.candidates.iter().any(is_local_url) {
        return Err(Refused::LocalNetwork);
    }
    Ok(())
}

/// Refuses a setting the window may not change.
pub fn check_setting(key: &str) -> Result<(), Refused> {
    if READ_ONLY_SETTINGS.contains(&key) {
        return Err(Refused::ReadOnlySetting(key.to_string()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn refused_file(r: Result<Location, Refused>) -> bool {
        matches!(r, Err(Refused::File))
    }

    #[test]
    fn only_regular_calendar_files_under_home_pass_with_one_answer() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let good = home.join("team.ICS");
        std::fs::write(&good, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").unwrap();
        let outside = root.path().join("other.ics");
        std::fs::write(&outside, "x").unwrap();
        let secret = home.join("id_ed25519");
        std::fs::write(&secret, "key").unwrap();
        let link_out = home.join("out.ics");
        std::os::unix::fs::symlink(&outside, &link_out).unwrap();
        let link_secret = home.join("secret.ics");
        std::os::unix::fs::symlink(&secret, &link_secret).unwrap();
        let dir = home.join("dir.ics");
        std::fs::create_dir(&dir).unwrap();
        let fifo = home.join("pipe.ics");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());

        let ok = check_location(good.to_str().unwrap(), &home, false).unwrap();
        assert!(matches!(ok, Location::File(p) if p == std::fs::canonicalize(&good).unwrap()));
        for bad in [
            outside.clone(),
            secret,
            link_out,
            link_secret,
            dir,
            fifo,
            home.join("missing.ics"),
            PathBuf::from("/dev/zero"),
            PathBuf::from("/etc/passwd"),
            home.join("../other.ics"),
        ] {
            let r = check_location(bad.to_str().unwrap(), &home, false);
            assert!(refused_file(r), "{bad:?} should be refused");
        }
        let message = check_location("/nope/x.ics", &home, false)
            .unwrap_err()
            .to_string();
        assert_eq!(message, FILE_REFUSED);
    }

    #[test]
    fn chosen_files_may_be_anywhere_but_must_be_regular_and_known() {
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("exported calendar.txt");
        std::fs::write(&outside, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").unwrap();
        let chosen = ChosenFiles::default();
        let token = chosen.remember(outside.clone());
        // Outside "home" and not named .ics: the home rule refuses it, the chooser's allows it.
        assert!(refused_file(check_location(
            outside.to_str().unwrap(),
            &root.path().join("home"),
            false
        )));
        let path = chosen.path(&token).unwrap();
        assert!(
            matches!(check_chosen_file(&path).unwrap(), Location::File(p) if p == std::fs::canonicalize(&outside).unwrap())
        );
        // A token the chooser did not give names nothing.
        assert!(matches!(
            chosen.path("chosen-0000000000000000"),
            Err(Refused::File)
        ));
        assert!(matches!(
            chosen.path(outside.to_str().unwrap()),
            Err(Refused::File)
        ));
        // A chosen FIFO, folder or device is still refused, in words.
        let fifo = root.path().join("pipe.ics");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        for bad in [fifo, root.path().to_path_buf(), PathBuf::from("/dev/zero")] {
            let err = check_chosen_file(&bad).unwrap_err().to_string();
            assert!(
                err.contains("not a regular file") || err.contains("a folder"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn local_addresses_are_refused_unless_allowed() {
        let home = std::env::temp_dir();
        for url in [
            "http://127.0.0.1:8080/a.ics",
            "https://127.1.2.3/a.ics",
            "http://[::1]/a.ics",
            "http://10.0.0.5/a.ics",
            "http://172.16.1.1/a.ics",
            "http://172.31.255.1/a.ics",
            "http://192.168.1.1/a.ics",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fc00::1]/a.ics",
            "http://[fd12::1]/a.ics",
            "http://[fe80::1]/a.ics",
            "webcal://localhost/a.ics",
        ] {
            assert!(
                matches!(
                    check_location(url, &home, false),
                    Err(Refused::LocalNetwork)
                ),
                "{url}"
            );
            assert!(check_location(url, &home, true).is_ok(), "{url}");
        }
        for url in [
            "https://calendar.google.com/calendar/ical/x/basic.ics",
            "http://172.32.0.1/a.ics",
            "http://8.8.8.8/a.ics",
        ] {
            assert!(check_location(url, &home, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn account_addresses_on_the_local_network_are_refused_unless_allowed() {
        for local in ["http://127.0.0.1:5232/", "localhost", "alice@192.168.1.10"] {
            assert!(
                matches!(
                    check_account_address(local, false),
                    Err(Refused::LocalNetwork)
                ),
                "{local}"
            );
            assert!(check_account_address(local, true).is_ok(), "{local}");
        }
        assert!(check_account_address("alice@fastmail.com", false).is_ok());
        assert!(check_account_address("https://cloud.example.org", false).is_ok());
        assert!(matches!(
            check_account_address("ftp://x", true),
            Err(Refused::Location(_))
        ));
    }

    #[test]
    fn widening_settings_are_read_only_from_the_window() {
        for key in READ_ONLY_SETTINGS {
            assert!(crate::settings::spec(key).is_ok(), "{key} is a setting");
            assert!(check_setting(key).is_err());
        }
        assert!(check_setting("notify.lead_minutes").is_ok());
    }
}
