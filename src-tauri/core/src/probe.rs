//! The probe: does a location answer with a calendar? Asked before a source is added
//! (the command line and the window alike) and by "Test connection".
//!
//! It reads the location the way every refresh does ([`refresh::fetch_and_parse`]: the
//! shared client with its timeouts, size cap and redirect policy, then the engine's
//! parser on the blocking pool), once and unconditionally, and stores nothing. So a
//! 404, a 500, a sign-in page, a body that is not iCalendar, a timeout or a refused
//! connection is found before the source exists, in the same words the Sources page
//! would show after its first refresh.

use tokio_util::sync::CancellationToken;

use crate::fetch::{ErrorKind, FetchConfig, FetchError, Fetcher, Validators};
use crate::ics::Calendar;
use crate::refresh::{self, ParseFn};
use crate::settings::Settings;
use crate::sources::{Auth, Location, Target};

/// What a location that answered with a calendar holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    pub events: usize,
    /// The feed's own name (X-WR-CALNAME, else NAME), already cleaned by the engine's
    /// text boundary ([`crate::ics::text::clean_line`]); `None` when it has none.
    pub name: Option<String>,
}

impl Probed {
    fn of(calendar: &Calendar) -> Self {
        Self {
            events: calendar.events.len(),
            name: calendar
                .meta
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
        }
    }
}

/// The HTTP client of a process (the app's pipeline, a command-line command): the app's
/// defaults with the user's settings applied.
pub fn fetcher(settings: &Settings) -> Result<Fetcher, FetchError> {
    let fetcher = Fetcher::new(FetchConfig::default())?;
    fetcher.apply_settings(settings);
    Ok(fetcher)
}

/// Reads `location` once with `auth` and parses it. The error is the refresh's own
/// (a status, a web page, a timeout…), in words safe to show.
pub async fn probe(
    fetcher: &Fetcher,
    parser: &ParseFn,
    location: &Location,
    auth: &Auth,
    cancel: &CancellationToken,
) -> Result<Probed, FetchError> {
    let target = match location {
        Location::File(path) => Target::File { path: path.clone() },
        Location::Url { url, .. } => Target::Http {
            url: url.clone(),
            auth: auth.clone(),
        },
    };
    // Source id 0: no source exists yet (it only labels the log lines). No validators,
    // so the answer is a whole body, never "not modified".
    match refresh::fetch_and_parse(fetcher, parser, 0, &target, &Validators::default(), cancel)
        .await?
    {
        Some((calendar, _)) => Ok(Probed::of(&calendar)),
        // Only a server that ignores the absent validators says this.
        None => Err(ErrorKind::Status(304).into()),
    }
}

/// Whether the location answered but not with a calendar (or refused the credentials):
/// the user's input is wrong and can be fixed, rather than the server being down or
/// out of reach (which may pass later). The command line's exit code follows it.
pub fn is_wrong_input(e: &FetchError) -> bool {
    match e.kind {
        ErrorKind::Status(code) => (400..500).contains(&code),
        ErrorKind::WebPage
        | ErrorKind::Empty
        | ErrorKind::Truncated
        | ErrorKind::NotCalendar
        | ErrorKind::TooDeep
        | ErrorKind::Parse
        | ErrorKind::TooLarge { .. }
        | ErrorKind::File(_) => true,
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The line between "fix what you typed" (exit 2) and "the server failed" (exit 1).
    #[test]
    fn wrong_input_is_told_from_a_failing_server() {
        let wrong = |k: ErrorKind| is_wrong_input(&FetchError::new(k));
        for k in [
            ErrorKind::Status(404),
            ErrorKind::Status(410),
            ErrorKind::Status(401),
            ErrorKind::WebPage,
            ErrorKind::Empty,
            ErrorKind::NotCalendar,
            ErrorKind::Truncated,
            ErrorKind::File(std::io::ErrorKind::NotFound),
        ] {
            assert!(wrong(k.clone()), "{k:?}");
        }
        for k in [
            ErrorKind::Status(500),
            ErrorKind::Status(503),
            ErrorKind::RateLimited,
            ErrorKind::Timeout,
            ErrorKind::Connect,
            ErrorKind::Tls,
            ErrorKind::Network,
        ] {
            assert!(!wrong(k.clone()), "{k:?}");
        }
    }

    /// A local file goes through the refresh's own read and parse: its X-WR-CALNAME,
    /// cleaned, and its events are what the probe reports.
    #[tokio::test]
    async fn a_file_is_read_and_named_as_a_refresh_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("team.ics");
        std::fs::write(
            &path,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:  Team\u{202e} \r\n\
             BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260506T090000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\n\
             END:VCALENDAR\r\n",
        )
        .unwrap();
        let fetcher = fetcher(&Settings::default()).unwrap();
        let parser = refresh::default_parser();
        let cancel = CancellationToken::new();
        let probed = probe(
            &fetcher,
            &parser,
            &Location::File(path.clone()),
            &Auth::None,
            &cancel,
        )
        .await
        .unwrap();
        assert_eq!(
            probed,
            Probed {
                events: 1,
                name: Some("Team".into())
            }
        );
        std::fs::write(&path, "<html><body>Sign in</body></html>").unwrap();
        let err = probe(
            &fetcher,
            &parser,
            &Location::File(path),
            &Auth::None,
            &cancel,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::WebPage);
    }
}
