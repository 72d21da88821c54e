//! The redirect policy as a pure function, so it can be tested without a network.
//!
//! A feed URL is fetched on the user's behalf, sometimes on a laptop inside a company
//! network: a public feed must not be able to bounce the app into loopback, private or
//! link-local addresses (cloud metadata at 169.254.169.254, a router's admin page).
//! Such a redirect is refused unless the user opted in (`fetch.allow_local_network`) or
//! the source's own URL is already local (then the user chose the local server).
//! Host names are judged as written; a public name that resolves to a private address
//! (DNS rebinding) is not caught here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// At most this many redirects are followed.
pub const MAX_REDIRECTS: usize = 5;

/// Why a redirect was not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedirectRefusal {
    #[error("too many redirects")]
    TooMany,
    #[error("refused a redirect to a non-web address")]
    NotHttp,
    #[error("refused a redirect from https to http")]
    Downgrade,
    #[error("refused a redirect to a local network address")]
    LocalTarget,
}

/// Decides whether to follow a redirect from `previous` to `target`, the `hops`-th one
/// (1-based) of a request that started at `source`.
pub fn check_redirect(
    source: &Url,
    previous: &Url,
    target: &Url,
    hops: usize,
    allow_local_network: bool,
) -> Result<(), RedirectRefusal> {
    if hops > MAX_REDIRECTS {
        return Err(RedirectRefusal::TooMany);
    }
    if !matches!(target.scheme(), "http" | "https") {
        return Err(RedirectRefusal::NotHttp);
    }
    if previous.scheme() == "https" && target.scheme() == "http" {
        return Err(RedirectRefusal::Downgrade);
    }
    if !allow_local_network && is_local_url(target) && !is_local_url(source) {
        return Err(RedirectRefusal::LocalTarget);
    }
    Ok(())
}

/// True when the URL's host is loopback, private, link-local, unspecified or a
/// `localhost` name.
pub fn is_local_url(url: &Url) -> bool {
    match url.host() {
        None => true,
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => is_local_v4(ip),
        Some(Host::Ipv6(ip)) => is_local_v6(ip),
    }
}

/// The same judgement for an address.
pub fn is_local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_local_v4(v4),
        IpAddr::V6(v6) => is_local_v6(v6),
    }
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        // 100.64.0.0/10, carrier-grade NAT (shared address space).
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        || o[0] == 0
}

fn is_local_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_local_v4(v4);
    }
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn public_to_private_is_refused_unless_opted_in() {
        let src = u("https://calendar.example.com/feed.ics");
        for target in [
            "https://127.0.0.1:8080/x",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.1.2.3/x",
            "https://192.168.1.1/",
            "https://172.16.0.1/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/x",
            "https://100.64.0.1/",
        ] {
            assert_eq!(
                check_redirect(&src, &src, &u(target), 1, false),
                Err(RedirectRefusal::LocalTarget),
                "{target}"
            );
            assert_eq!(
                check_redirect(&src, &src, &u(target), 1, true),
                Ok(()),
                "{target}"
            );
        }
        assert_eq!(
            check_redirect(&src, &src, &u("https://cdn.example.net/x"), 1, false),
            Ok(())
        );
    }

    #[test]
    fn a_local_source_may_redirect_locally() {
        let src = u("http://127.0.0.1:9000/feed.ics");
        assert_eq!(
            check_redirect(&src, &src, &u("http://127.0.0.1:9000/other"), 1, false),
            Ok(())
        );
        assert_eq!(
            check_redirect(&src, &src, &u("http://192.168.0.2/other"), 1, false),
            Ok(())
        );
    }

    #[test]
    fn file_and_other_schemes_are_refused() {
        let src = u("https://calendar.example.com/feed.ics");
        assert_eq!(
            check_redirect(&src, &src, &u("file:///etc/passwd"), 1, true),
            Err(RedirectRefusal::NotHttp)
        );
        assert_eq!(
            check_redirect(&src, &src, &u("ftp://x/y"), 1, true),
            Err(RedirectRefusal::NotHttp)
        );
    }

    #[test]
    fn https_to_http_is_refused() {
        let src = u("https://calendar.example.com/feed.ics");
        assert_eq!(
            check_redirect(
                &src,
                &src,
                &u("http://calendar.example.com/feed.ics"),
                1,
                true
            ),
            Err(RedirectRefusal::Downgrade)
        );
        let plain = u("http://calendar.example.com/feed.ics");
        assert_eq!(
            check_redirect(
                &plain,
                &plain,
                &u("https://calendar.example.com/f"),
                1,
                false
            ),
            Ok(())
        );
    }

    #[test]
    fn at_most_five_hops() {
        let src = u("https://a.example/");
        assert_eq!(
            check_redirect(&src, &src, &u("https://b.example/"), 5, false),
            Ok(())
        );
        assert_eq!(
            check_redirect(&src, &src, &u("https://b.example/"), 6, false),
            Err(RedirectRefusal::TooMany)
        );
    }
}
