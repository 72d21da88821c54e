//! From what a user types to the addresses where discovery starts.
//!
//! A user knows a server address (`cloud.example.org`, `https://dav.example.com/x`)
//! or only an e-mail address on a big provider (`me@fastmail.com`). The known
//! providers' CalDAV roots are presets; anything else is tried per RFC 6764:
//! `/.well-known/caldav` first, then the address itself, then Nextcloud's
//! `/remote.php/dav` (a Nextcloud behind a proxy that drops the well-known redirect
//! is common).

use url::Url;

/// A provider with a fixed CalDAV root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub root: &'static str,
    /// E-mail domains (and host suffixes) that belong to it.
    pub domains: &'static [&'static str],
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "Fastmail",
        root: "https://caldav.fastmail.com/",
        domains: &["fastmail.com", "fastmail.fm", "messagingengine.com"],
    },
    Preset {
        name: "iCloud",
        root: "https://caldav.icloud.com/",
        domains: &["icloud.com", "me.com", "mac.com"],
    },
];

/// Where discovery starts, in the order to try, and the provider's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    pub provider: &'static str,
    pub candidates: Vec<Url>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a server address or e-mail address: {0}")]
pub struct AddressError(pub &'static str);

fn preset_for_host(host: &str) -> Option<&'static Preset> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    PRESETS.iter().find(|p| {
        p.domains
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    })
}

/// The candidates for `input`: an http(s) URL, a bare host, or `user@domain`.
pub fn start_points(input: &str) -> Result<Start, AddressError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AddressError("empty"));
    }
    let lower = input.to_ascii_lowercase();
    let has_scheme = lower.starts_with("http://") || lower.starts_with("https://");
    if !has_scheme && input.contains("://") {
        return Err(AddressError("only http and https addresses are supported"));
    }
    if !has_scheme && input.contains('@') && !input.contains('/') {
        let domain = input.rsplit('@').next().unwrap_or_default();
        if let Some(p) = preset_for_host(domain) {
            return Ok(preset_start(p));
        }
        return start_points(domain);
    }
    let url = if has_scheme {
        Url::parse(input).map_err(|_| AddressError("an address that cannot be read"))?
    } else {
        Url::parse(&format!("https://{input}"))
            .map_err(|_| AddressError("an address that cannot be read"))?
    };
    let Some(host) = url.host_str() else {
        return Err(AddressError("the address has no host"));
    };
    if let Some(p) = preset_for_host(host) {
        if url.path() == "/" {
            return Ok(preset_start(p));
        }
    }
    let join = |p: &str| url.join(p).ok();
    let mut candidates = Vec::new();
    let nextcloud = url.path().contains("/remote.php/dav");
    if url.path() == "/" {
        candidates.extend(join("/.well-known/caldav"));
        candidates.push(url.clone());
        candidates.extend(join("/remote.php/dav/"));
    } else {
        candidates.push(url.clone());
        candidates.extend(join("/.well-known/caldav"));
    }
    Ok(Start {
        provider: if nextcloud { "Nextcloud" } else { "CalDAV" },
        candidates,
    })
}

fn preset_start(p: &'static Preset) -> Start {
    Start {
        provider: p.name,
        candidates: Url::parse(p.root).into_iter().collect(),
    }
}

/// A `calendar-color` value (`#RRGGBB`, `#RRGGBBAA` as Apple writes it) as `#RRGGBB`.
pub fn normalize_color(raw: &str) -> Option<String> {
    let s = raw.trim();
    let hex = s.strip_prefix('#')?;
    if !(hex.len() == 6 || hex.len() == 8) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(format!("#{}", hex[..6].to_ascii_uppercase()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn urls(s: &Start) -> Vec<&str> {
        s.candidates.iter().map(Url::as_str).collect()
    }

    #[test]
    fn providers_from_an_email_or_their_host() {
        let s = start_points("me@fastmail.com").unwrap();
        assert_eq!(s.provider, "Fastmail");
        assert_eq!(urls(&s), ["https://caldav.fastmail.com/"]);
        let s = start_points("someone@icloud.com").unwrap();
        assert_eq!(urls(&s), ["https://caldav.icloud.com/"]);
        let s = start_points("https://caldav.icloud.com").unwrap();
        assert_eq!(s.provider, "iCloud");
    }

    #[test]
    fn any_server_is_tried_by_well_known_then_itself_then_nextcloud() {
        let s = start_points("cloud.example.org").unwrap();
        assert_eq!(
            urls(&s),
            [
                "https://cloud.example.org/.well-known/caldav",
                "https://cloud.example.org/",
                "https://cloud.example.org/remote.php/dav/"
            ]
        );
        let s = start_points("https://cloud.example.org/remote.php/dav").unwrap();
        assert_eq!(s.provider, "Nextcloud");
        assert_eq!(urls(&s)[0], "https://cloud.example.org/remote.php/dav");
        let s = start_points("http://127.0.0.1:5232/").unwrap();
        assert_eq!(urls(&s)[0], "http://127.0.0.1:5232/.well-known/caldav");
        assert!(start_points("ftp://x").is_err());
        assert!(start_points("").is_err());
    }

    #[test]
    fn colours_lose_their_alpha() {
        assert_eq!(normalize_color("#ff8800FF").as_deref(), Some("#FF8800"));
        assert_eq!(normalize_color(" #123456 ").as_deref(), Some("#123456"));
        assert_eq!(normalize_color("red"), None);
        assert_eq!(normalize_color("#12345"), None);
    }
}
