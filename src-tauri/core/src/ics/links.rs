//! Join-link detection: which URL, if any, the Join button opens.
//!
//! Vendor properties are read first (RFC 7986 CONFERENCE, X-GOOGLE-CONFERENCE,
//! X-MICROSOFT-SKYPETEAMSMEETINGURL, X-MICROSOFT-ONLINEMEETINGCONFLINK): any http(s) link
//! or meeting-app link there is the meeting. Then URL, LOCATION and DESCRIPTION, where only
//! links to known meeting services count (a DESCRIPTION is full of other links).
//! Outlook SafeLinks wrappers are unwrapped first. Only `https`, `http` and known meeting
//! app schemes are ever returned; `javascript:`, `data:`, `file:` never are (case 52).

use url::Url;

/// Schemes of desktop meeting apps that are safe to hand to the OS.
const APP_SCHEMES: &[&str] = &["zoommtg", "zoomus", "msteams"];

/// Picks the join link of an event; see the module header for the order.
pub fn find_join_url(
    vendor: &[String],
    url: Option<&str>,
    location: Option<&str>,
    description: Option<&str>,
) -> Option<String> {
    for value in vendor {
        for candidate in extract_urls(value) {
            if let Some(u) = sanitize(&candidate) {
                return Some(u.to_string());
            }
        }
    }
    for text in [url, location, description].into_iter().flatten() {
        for candidate in extract_urls(text) {
            if let Some(u) = sanitize(&candidate) {
                if is_meeting(&u) {
                    return Some(u.to_string());
                }
            }
        }
    }
    None
}

/// Parses a candidate, unwraps SafeLinks, and accepts only allowed schemes.
pub fn sanitize(candidate: &str) -> Option<Url> {
    let mut u = Url::parse(candidate.trim()).ok()?;
    // SafeLinks (possibly nested): the real target is the `url` query parameter.
    for _ in 0..3 {
        let safelink = u.host_str().is_some_and(|h| {
            h.to_ascii_lowercase()
                .ends_with("safelinks.protection.outlook.com")
        });
        if !safelink {
            break;
        }
        let inner = u
            .query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case("url"))
            .map(|(_, v)| v.into_owned())?;
        u = Url::parse(inner.trim()).ok()?;
    }
    let scheme = u.scheme().to_ascii_lowercase();
    let allowed = match scheme.as_str() {
        "https" | "http" => u.host_str().is_some(),
        s => APP_SCHEMES.contains(&s),
    };
    allowed.then_some(u)
}

/// True when `url` may be handed to the desktop's handler (the opener's one check): what
/// [`sanitize`] accepts, written out in full (`https://host`, not `https:host`), with no
/// control character or whitespace (the URL parser would drop tabs and newlines silently,
/// so the link opened would not be the link shown).
pub fn may_open(url: &str) -> bool {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    let web = scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http");
    (!web || rest.starts_with("//")) && sanitize(url).is_some()
}

/// True for links to a known meeting service.
pub fn is_meeting(u: &Url) -> bool {
    let scheme = u.scheme();
    if APP_SCHEMES.contains(&scheme) {
        return true;
    }
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    let path = u.path().to_ascii_lowercase();
    let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    is("zoom.us")
        || is("zoomgov.com")
        || host == "meet.google.com"
        || (is("teams.microsoft.com") || is("teams.microsoft.us"))
            && (path.starts_with("/l/meetup-join")
                || path.starts_with("/meet")
                || path.starts_with("/l/meet"))
        || host == "teams.live.com"
        || is("webex.com")
        || is("gotomeeting.com")
        || host == "meet.goto.com"
        || host == "gotomeet.me"
        || host == "meet.jit.si"
        || host == "8x8.vc"
        || host.starts_with("jitsi.")
        || is("whereby.com")
        || (host == "app.slack.com" && path.contains("/huddle"))
        || is("chime.aws")
        || is("bluejeans.com")
        || host == "join.skype.com"
        || host == "meet.lync.com"
        || host == "meet.ringcentral.com"
        || host == "facetime.apple.com"
        // Nextcloud Talk rooms live on the user's own server: recognised by their path.
        || path.starts_with("/call/")
        || path.starts_with("/index.php/call/")
}

/// The URL-looking text from `begin` (where a scheme starts): up to whitespace or a
/// delimiter, trailing punctuation cut; with the byte offset where it stopped.
fn candidate_at(text: &str, begin: usize) -> (usize, String) {
    let end = text[begin..]
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`' | '|' | '\\'))
        .map_or(text.len(), |e| begin + e);
    let candidate = text[begin..end]
        .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}'])
        .to_string();
    (end, candidate)
}

/// Where the URLs [`extract_urls`] looks for begin, as `(scheme, what follows its colon)`.
const STARTS: &[(&str, &str)] = &[
    ("https", "//"),
    ("http", "//"),
    ("zoommtg", "//"),
    ("zoomus", "//"),
    ("msteams", ""),
];

/// URL-looking substrings of a text, in order of appearance: each starts with one of
/// [`STARTS`] (any case) and runs to whitespace or a delimiter, trailing punctuation cut.
///
/// One pass over the colons (memchr), not one search per scheme over a lower-cased copy:
/// descriptions are the longest text of a feed, and this was 6% of `agenda` on a 10 MB one.
pub fn extract_urls(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    // Per scheme, where its next match may begin (a scheme's matches never overlap).
    let mut from = [0usize; STARTS.len()];
    let mut found: Vec<(usize, String)> = Vec::new();
    for colon in memchr::memchr_iter(b':', bytes) {
        for (i, (scheme, tail)) in STARTS.iter().enumerate() {
            let Some(begin) = colon.checked_sub(scheme.len()) else {
                continue;
            };
            if begin < from[i]
                || !bytes[begin..colon].eq_ignore_ascii_case(scheme.as_bytes())
                || !bytes[colon + 1..].starts_with(tail.as_bytes())
            {
                continue;
            }
            let (end, candidate) = candidate_at(text, begin);
            found.push((begin, candidate));
            from[i] = end.max(begin + 1);
        }
    }
    found.sort_by_key(|(pos, _)| *pos);
    found.into_iter().map(|(_, u)| u).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn join(desc: &str) -> Option<String> {
        find_join_url(&[], None, None, Some(desc))
    }

    #[test]
    fn known_services() {
        assert_eq!(
            join("Join: https://us02web.zoom.us/j/123?pwd=abc.").as_deref(),
            Some("https://us02web.zoom.us/j/123?pwd=abc")
        );
        assert!(join("https://meet.google.com/abc-defg-hij").is_some());
        assert!(join("https://teams.microsoft.com/l/meetup-join/19%3ameeting").is_some());
        assert!(join("https://teams.microsoft.com/meet/123?p=x").is_some());
        assert!(join("https://teams.live.com/meet/9371").is_some());
        assert!(join("zoommtg://zoom.us/join?confno=1").is_some());
        assert!(join("see https://example.com/agenda").is_none());
        assert!(join("javascript:alert(1)").is_none());
    }

    #[test]
    fn vendor_first_and_never_javascript() {
        let vendor = vec!["javascript:alert(1)".to_string()];
        assert_eq!(
            find_join_url(&vendor, Some("javascript:alert(1)"), None, None),
            None
        );
        let vendor = vec!["https://meet.google.com/x".to_string()];
        assert_eq!(
            find_join_url(&vendor, None, None, Some("https://zoom.us/j/1")).as_deref(),
            Some("https://meet.google.com/x")
        );
    }

    #[test]
    fn safelinks() {
        let s = "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fzoom.us%2Fj%2F99&data=x";
        assert_eq!(join(s).as_deref(), Some("https://zoom.us/j/99"));
        let bad = "https://eur01.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)";
        assert_eq!(join(bad), None);
    }

    /// The search `extract_urls` replaced: one pass per scheme over a lower-cased copy
    /// (the candidate rule itself is shared: what differs is how starts are found).
    fn five_passes(text: &str) -> Vec<String> {
        const OLD: &[&str] = &["https://", "http://", "zoommtg://", "zoomus://", "msteams:"];
        let lower = text.to_ascii_lowercase();
        let mut found: Vec<(usize, String)> = Vec::new();
        for start in OLD {
            let mut from = 0;
            while let Some(pos) = lower[from..].find(start) {
                let begin = from + pos;
                let (end, candidate) = candidate_at(text, begin);
                found.push((begin, candidate));
                from = end.max(begin + 1);
            }
        }
        found.sort_by_key(|(pos, _)| *pos);
        found.into_iter().map(|(_, u)| u).collect()
    }

    proptest::proptest! {
        #[test]
        fn one_pass_finds_what_five_passes_found(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "https://", "HTTP://", "http:/", "zoommtg://", "ZoomUS://", "msteams:",
                    "MSTEAMS:/l/x", "https", ":", "//", " ", "\n", "<", ">", "\"", ".", ")",
                    "zoom.us/j/1", "meet.google.com/abc", "é", "日本", "x", "s://", "p:",
                ]),
                0..40,
            )
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(extract_urls(&text), five_passes(&text));
        }
    }
}
