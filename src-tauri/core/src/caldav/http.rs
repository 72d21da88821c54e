//! The CalDAV HTTP client: the feeds' guards, for WebDAV methods.
//!
//! Built from the shared [`FetchConfig`] (the same connect/read/total timeouts, user
//! agent and test resolve overrides) and the same size cap; redirects are followed
//! here, by hand, under the same [`policy::check_redirect`] rules, because reqwest
//! turns a redirected PROPFIND into a GET (RFC 6764 servers redirect
//! `/.well-known/caldav` and the method must survive). Credentials go only to the
//! origin they were given for, or to a host of the same site over https (iCloud moves
//! a user to `pNN-caldav.icloud.com`). Errors are [`FetchError`]s: classified, in words,
//! never holding a URL path or a credential; logs carry the host only.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::fetch::error::classify;
use crate::fetch::policy::{self, RedirectRefusal};
use crate::fetch::{ErrorKind, FetchConfig, FetchError, Fetcher};
use crate::sources::{display_of, Auth};

/// A response read whole (under the cap).
#[derive(Debug, Clone)]
pub struct DavResponse {
    pub status: StatusCode,
    /// The URL that answered, after redirects (hrefs are relative to it).
    pub url: Url,
    pub body: Bytes,
}

impl DavResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The client of one account (its credentials) with a request counter.
pub struct DavClient {
    client: reqwest::Client,
    auth: Auth,
    max_bytes: u64,
    allow_local_network: bool,
    requests: AtomicU64,
}

impl std::fmt::Debug for DavClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DavClient")
            .field("auth", &self.auth)
            .field("requests", &self.requests())
            .finish()
    }
}

impl DavClient {
    /// A client with the feeds' configuration, cap and local-network setting.
    pub fn new(
        cfg: &FetchConfig,
        max_bytes: u64,
        allow_local_network: bool,
        auth: Auth,
    ) -> Result<Self, FetchError> {
        // Redirects are followed by hand (a redirected PROPFIND must stay a PROPFIND).
        let client = crate::fetch::http_client(cfg, reqwest::redirect::Policy::none())?;
        Ok(Self {
            client,
            auth,
            max_bytes,
            allow_local_network,
            requests: AtomicU64::new(0),
        })
    }

    /// The same, taking the shared fetcher's configuration and current cap.
    pub fn from_fetcher(
        fetcher: &Fetcher,
        allow_local_network: bool,
        auth: Auth,
    ) -> Result<Self, FetchError> {
        Self::new(
            fetcher.config(),
            fetcher.max_bytes(),
            allow_local_network,
            auth,
        )
    }

    /// Requests sent so far (each redirect hop counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends one WebDAV request, following redirects with the method kept.
    pub async fn send(
        &self,
        method: &str,
        url: &Url,
        depth: Option<&str>,
        body: Option<String>,
        cancel: &CancellationToken,
    ) -> Result<DavResponse, FetchError> {
        tokio::select! {
            _ = cancel.cancelled() => Err(FetchError::new(ErrorKind::Cancelled)),
            r = self.send_inner(method, url, depth, body) => r,
        }
    }

    async fn send_inner(
        &self,
        method: &str,
        url: &Url,
        depth: Option<&str>,
        body: Option<String>,
    ) -> Result<DavResponse, FetchError> {
        let method =
            Method::from_bytes(method.as_bytes()).map_err(|_| FetchError::new(ErrorKind::Parse))?;
        let mut current = url.clone();
        let mut hops = 0usize;
        loop {
            let mut req = self
                .client
                .request(method.clone(), current.clone())
                .header(header::ACCEPT, "application/xml, text/xml, text/calendar");
            if let Some(d) = depth {
                req = req.header("Depth", d);
            }
            if let Some(b) = &body {
                req = req
                    .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
                    .body(b.clone());
            }
            if may_send_credentials(url, &current) {
                req = match &self.auth {
                    Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
                    Auth::Bearer { token } => req.bearer_auth(token),
                    Auth::Headers { headers } => {
                        for (k, v) in headers {
                            if let Ok(mut v) = HeaderValue::try_from(v.as_str()) {
                                v.set_sensitive(true);
                                req = req.header(k.as_str(), v);
                            }
                        }
                        req
                    }
                    Auth::None => req,
                };
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let resp = req
                .send()
                .await
                .map_err(|e| FetchError::new(classify(&e)))?;
            let status = resp.status();
            tracing::debug!(host = %display_of(&current), method = %method, status = status.as_u16(), "dav request");
            if status.is_redirection() {
                if let Some(loc) = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                {
                    let target = current.join(loc).map_err(|_| {
                        FetchError::new(ErrorKind::Redirect(RedirectRefusal::NotHttp))
                    })?;
                    hops += 1;
                    policy::check_redirect(url, &current, &target, hops, self.allow_local_network)
                        .map_err(|r| FetchError::new(ErrorKind::Redirect(r)))?;
                    current = target;
                    continue;
                }
            }
            let body = read_capped(resp, self.max_bytes).await?;
            return Ok(DavResponse {
                status,
                url: current,
                body,
            });
        }
    }

    /// Checks that `href` (from a server's answer to `base`) may be followed: the same
    /// rules as a redirect, so a server cannot point the app at a private address.
    pub fn resolve_href(&self, base: &Url, href: &str) -> Result<Url, FetchError> {
        let target = base
            .join(href)
            .map_err(|_| FetchError::new(ErrorKind::Parse))?;
        if target.origin() != base.origin() {
            policy::check_redirect(base, base, &target, 1, self.allow_local_network)
                .map_err(|r| FetchError::new(ErrorKind::Redirect(r)))?;
        }
        Ok(target)
    }
}

/// True when credentials given for `origin` may go to `to`: the same origin, or an
/// https host of the same site (the last two labels of the name).
fn may_send_credentials(origin: &Url, to: &Url) -> bool {
    if origin.origin() == to.origin() {
        return true;
    }
    let site = |u: &Url| {
        let host = u.host_str()?.to_ascii_lowercase();
        let labels: Vec<&str> = host.rsplitn(3, '.').collect();
        (labels.len() >= 2 && host.parse::<std::net::IpAddr>().is_err())
            .then(|| format!("{}.{}", labels[1], labels[0]))
    };
    to.scheme() == "https" && site(origin).is_some() && site(origin) == site(to)
}

async fn read_capped(resp: reqwest::Response, max: u64) -> Result<Bytes, FetchError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(ErrorKind::TooLarge { max_bytes: max }.into());
    }
    let mut buf = BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| FetchError::new(classify(&e)))?;
        if (buf.len() + chunk.len()) as u64 > max {
            return Err(ErrorKind::TooLarge { max_bytes: max }.into());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_on_their_site() {
        let u = |s: &str| Url::parse(s).unwrap();
        let icloud = u("https://caldav.icloud.com/");
        assert!(may_send_credentials(
            &icloud,
            &u("https://caldav.icloud.com/123/")
        ));
        assert!(may_send_credentials(
            &icloud,
            &u("https://p42-caldav.icloud.com/123/")
        ));
        assert!(!may_send_credentials(
            &icloud,
            &u("http://p42-caldav.icloud.com/")
        ));
        assert!(!may_send_credentials(&icloud, &u("https://evil.example/")));
        let local = u("http://127.0.0.1:5232/");
        assert!(may_send_credentials(
            &local,
            &u("http://127.0.0.1:5232/alice/")
        ));
        assert!(!may_send_credentials(&local, &u("http://127.0.0.1:9999/")));
    }
}
