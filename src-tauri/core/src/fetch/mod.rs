//! Fetching feeds: one shared HTTP client with every guard a hostile server needs.
//!
//! - Timeouts: connect, read (per read, so a header stall fails fast) and **total**
//!   (read timeouts alone never stop a slow-loris server that sends a byte a second).
//! - A cap on **decoded** bytes, counted while streaming (gzip is decoded by reqwest, so
//!   a 1 MB bomb that inflates to 1 GiB is stopped at the cap, not after).
//! - Redirects: at most 5, never https → http, never to `file:` or other schemes, never
//!   from a public source to loopback/private/link-local ([`policy`]).
//! - Conditional GET: `If-None-Match` / `If-Modified-Since` from the last good fetch; a
//!   304 is "not modified" (no parse, no write).
//! - Retry-After on 429/503, both delay-seconds and HTTP-date.
//! - A cheap sniff of the body before any parse: empty, an HTML page (a revoked Google
//!   or Outlook link answers 200 with a sign-in page), not iCalendar, truncated.
//! - Local file sources: re-read only when their mtime changed.
//!
//! Logs carry the source id and host only; URLs' paths and queries hold secrets.

pub mod breaker;
pub mod error;
pub mod policy;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;
use crate::sources::{display_of, Auth, Target};
pub use error::{ErrorKind, FetchError};

/// The client's knobs. Defaults are the product's; tests shorten the timeouts.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub connect_timeout: Duration,
    /// Longest wait for any single read (headers included).
    pub read_timeout: Duration,
    /// Longest a whole request may take, body included.
    pub total_timeout: Duration,
    /// Cap on the decoded body (settings `fetch.max_mb`).
    pub max_bytes: u64,
    /// settings `fetch.allow_local_network`.
    pub allow_local_network: bool,
    /// Extra attempts for transient failures (connect errors, 502/503/504).
    pub retries: u32,
    /// Base of the jittered exponential backoff between attempts.
    pub retry_base: Duration,
    pub user_agent: String,
    /// Host name → address overrides (tests use them to give a loopback server a
    /// public-looking name).
    pub resolve: Vec<(String, SocketAddr)>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            max_bytes: 10 * 1024 * 1024,
            allow_local_network: false,
            retries: 2,
            retry_base: Duration::from_millis(300),
            user_agent: format!("CalendarBot/{}", env!("CARGO_PKG_VERSION")),
            resolve: Vec::new(),
        }
    }
}

/// Validators from the last good fetch, sent back to make the request conditional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// For file sources: the mtime (RFC 3339) of the last good read.
    pub file_mtime: Option<String>,
}

/// A successful fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304, or a file whose mtime did not change.
    NotModified,
    /// A body that passed the sniff, with the validators to store once it is cached.
    Body { body: Bytes, validators: Validators },
}

/// The shared client. Cheap to share behind an `Arc`; settings changes apply live.
pub struct Fetcher {
    client: reqwest::Client,
    cfg: FetchConfig,
    max_bytes: AtomicU64,
    allow_local: Arc<AtomicBool>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").field("cfg", &self.cfg).finish()
    }
}

impl Fetcher {
    /// Builds the one client of the process.
    pub fn new(cfg: FetchConfig) -> Result<Self, FetchError> {
        let allow_local = Arc::new(AtomicBool::new(cfg.allow_local_network));
        let flag = allow_local.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let previous = attempt.previous();
            let (Some(source), Some(last)) = (previous.first(), previous.last()) else {
                return attempt.stop();
            };
            match policy::check_redirect(
                source,
                last,
                attempt.url(),
                previous.len(),
                flag.load(Ordering::Relaxed),
            ) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        let client = http_client(&cfg, policy)?;
        Ok(Self {
            client,
            max_bytes: AtomicU64::new(cfg.max_bytes),
            cfg,
            allow_local,
        })
    }

    /// Applies the user's settings (size cap, local-network opt-in).
    pub fn apply_settings(&self, s: &Settings) {
        self.max_bytes.store(s.fetch_max_bytes, Ordering::Relaxed);
        self.allow_local
            .store(s.allow_local_network, Ordering::Relaxed);
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes.load(Ordering::Relaxed)
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetches a source once, with retries for transient failures.
    pub async fn fetch(
        &self,
        source_id: i64,
        target: &Target,
        validators: &Validators,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        match target {
            Target::File { path } => self.read_file(source_id, path, validators).await,
            Target::Http { url, auth } => {
                let host = display_of(url);
                let mut attempt = 0u32;
                loop {
                    let result = tokio::select! {
                        _ = cancel.cancelled() => Err(FetchError::new(ErrorKind::Cancelled)),
                        r = self.fetch_http(url, auth, validators) => r,
                    };
                    match result {
                        Err(e)
                            if e.kind.retryable()
                                && e.retry_after.is_none()
                                && attempt < self.cfg.retries =>
                        {
                            attempt += 1;
                            let delay = backoff(self.cfg.retry_base, attempt);
                            tracing::debug!(source_id, host = %host, error = e.kind.code(), attempt, "retrying");
                            tokio::select! {
                                _ = cancel.cancelled() => return Err(FetchError::new(ErrorKind::Cancelled)),
                                _ = tokio::time::sleep(delay) => {}
                            }
                        }
                        other => {
                            match &other {
                                Ok(Fetched::NotModified) => {
                                    tracing::debug!(source_id, host = %host, "not modified")
                                }
                                Ok(Fetched::Body { body, .. }) => {
                                    tracing::debug!(source_id, host = %host, bytes = body.len(), "fetched")
                                }
                                Err(e) => {
                                    tracing::info!(source_id, host = %host, error = e.kind.code(), "fetch failed")
                                }
                            }
                            return other;
                        }
                    }
                }
            }
        }
    }

    async fn fetch_http(
        &self,
        url: &reqwest::Url,
        auth: &Auth,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let max = self.max_bytes();
        let mut req = self
            .client
            .get(url.clone())
            .header(header::ACCEPT, "text/calendar, text/plain;q=0.5, */*;q=0.1");
        if let Some(etag) = &validators.etag {
            req = req.header(header::IF_NONE_MATCH, etag.as_str());
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm.as_str());
        }
        req = match auth {
            Auth::None => req,
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
            Auth::Bearer { token } => req.bearer_auth(token),
            Auth::Headers { headers } => {
                let mut map = HeaderMap::new();
                for (k, v) in headers {
                    // Invalid names or values are skipped, never echoed (they may be keys).
                    if let (Ok(k), Ok(mut v)) = (
                        HeaderName::try_from(k.as_str()),
                        HeaderValue::try_from(v.as_str()),
                    ) {
                        v.set_sensitive(true);
                        map.insert(k, v);
                    }
                }
                req.headers(map)
            }
        };
        let resp = req
            .send()
            .await
            .map_err(|e| FetchError::new(error::classify(&e)))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            // Any final non-2xx is an error, including a 3xx we did not follow.
            let now = Utc::now();
            let retry_after = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| error::parse_retry_after(v, now));
            // A redirect to `file:` (or any non-web scheme) is not followed by reqwest
            // but returned as the final 3xx: name it for what it is. Nothing is read.
            let bad_redirect = status.is_redirection()
                && resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| url.join(loc).ok())
                    .is_some_and(|to| !matches!(to.scheme(), "http" | "https"));
            let kind = if status == StatusCode::TOO_MANY_REQUESTS {
                ErrorKind::RateLimited
            } else if bad_redirect {
                ErrorKind::Redirect(policy::RedirectRefusal::NotHttp)
            } else {
                ErrorKind::Status(status.as_u16())
            };
            let retry_after = match kind {
                // 429 without a header: wait a minute rather than hammer.
                ErrorKind::RateLimited => {
                    Some(retry_after.unwrap_or(now + chrono::Duration::seconds(60)))
                }
                ErrorKind::Status(503) => retry_after,
                _ => None,
            };
            return Err(FetchError { kind, retry_after });
        }
        let header_text = |name: header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let new_validators = Validators {
            etag: header_text(header::ETAG),
            last_modified: header_text(header::LAST_MODIFIED),
            file_mtime: None,
        };
        let is_html = header_text(header::CONTENT_TYPE)
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("text/html"));
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(ErrorKind::TooLarge { max_bytes: max }.into());
        }
        // Chunks are kept as they come and joined once at the end: a growing buffer
        // would reallocate (and briefly double) on the way to the cap.
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total: u64 = 0;
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::new(error::classify(&e)))?;
            total += chunk.len() as u64;
            if total > max {
                return Err(ErrorKind::TooLarge { max_bytes: max }.into());
            }
            chunks.push(chunk);
        }
        let body = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.pop().unwrap_or_default(),
            _ => {
                let mut buf = BytesMut::with_capacity(total as usize);
                for c in chunks.drain(..) {
                    buf.extend_from_slice(&c);
                }
                buf.freeze()
            }
        };
        sniff(&body, is_html)?;
        Ok(Fetched::Body {
            body,
            validators: new_validators,
        })
    }

    async fn read_file(
        &self,
        source_id: i64,
        path: &std::path::Path,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let file_err = |e: std::io::Error| FetchError::new(ErrorKind::File(e.kind()));
        let meta = tokio::fs::metadata(path).await.map_err(file_err)?;
        // A device (/dev/zero), a FIFO or a directory is not a calendar file; a FIFO
        // would also block the reader until someone writes to it.
        if !meta.is_file() {
            return Err(FetchError::new(ErrorKind::File(
                std::io::ErrorKind::InvalidInput,
            )));
        }
        let mtime = meta
            .modified()
            .ok()
            .map(|t| DateTime::<Utc>::from(t).to_rfc3339());
        if mtime.is_some() && mtime == validators.file_mtime {
            return Ok(Fetched::NotModified);
        }
        let max = self.max_bytes();
        if meta.len() > max {
            return Err(ErrorKind::TooLarge { max_bytes: max }.into());
        }
        // Bounded: the file may grow between the size check and the read.
        let mut body = Vec::new();
        tokio::fs::File::open(path)
            .await
            .map_err(file_err)?
            .take(max + 1)
            .read_to_end(&mut body)
            .await
            .map_err(file_err)?;
        let body = Bytes::from(body);
        if body.len() as u64 > max {
            return Err(ErrorKind::TooLarge { max_bytes: max }.into());
        }
        tracing::debug!(source_id, bytes = body.len(), "file read");
        sniff(&body, false)?;
        Ok(Fetched::Body {
            body,
            validators: Validators {
                file_mtime: mtime,
                ..Default::default()
            },
        })
    }
}

/// Jittered exponential backoff: base × 2^(attempt-1), ±50 %, the exponent capped at 6.
/// Also the retry delay of the app's background loops.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(6));
    let jitter: f64 = rand::random_range(0.5..1.5);
    exp.mul_f64(jitter)
}

/// A cheap check of a body before the parser sees it: the parser never runs on an empty
/// body (which some parsers take for "no events"), an HTML page or a cut-off download.
/// The rules are the engine's own pre-scan; a server that labels a non-calendar body
/// `text/html` is reported as a web page.
pub fn sniff(body: &[u8], content_type_html: bool) -> Result<(), FetchError> {
    match crate::ics::scan::prescan(body) {
        Ok(()) => Ok(()),
        Err(crate::ics::FeedError::NotCalendar(_)) if content_type_html => {
            Err(ErrorKind::WebPage.into())
        }
        Err(e) => Err(ErrorKind::from(&e).into()),
    }
}

/// A reqwest client with the feeds' user agent, connect/read/total timeouts, gzip and
/// test resolve overrides: the one recipe for the feed fetcher and the CalDAV client,
/// which differ only in how redirects are handled (`redirect`).
pub(crate) fn http_client(
    cfg: &FetchConfig,
    redirect: reqwest::redirect::Policy,
) -> Result<reqwest::Client, FetchError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(cfg.user_agent.clone())
        .connect_timeout(cfg.connect_timeout)
        .read_timeout(cfg.read_timeout)
        .timeout(cfg.total_timeout)
        .gzip(true)
        .redirect(redirect);
    for (host, addr) in &cfg.resolve {
        builder = builder.resolve(host, *addr);
    }
    builder.build().map_err(|_| FetchError::new(ErrorKind::Tls))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniff_rejects_what_is_not_a_whole_calendar() {
        let ok = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
        assert!(sniff(ok, false).is_ok());
        assert!(sniff(&[b"\xEF\xBB\xBF".as_slice(), ok].concat(), true).is_ok());
        let kind = |b: &[u8], html| sniff(b, html).unwrap_err().kind;
        assert_eq!(kind(b"", false), ErrorKind::Empty);
        assert_eq!(kind(b"  \r\n", false), ErrorKind::Empty);
        assert_eq!(
            kind(b"<!DOCTYPE html><html>Sign in", false),
            ErrorKind::WebPage
        );
        assert_eq!(
            kind(b"<!-- Copyright (C) Microsoft -->\r\n<html>", false),
            ErrorKind::WebPage
        );
        assert_eq!(kind(b"Sign in to continue", true), ErrorKind::WebPage);
        assert_eq!(kind(b"{\"error\": 1}", false), ErrorKind::NotCalendar);
        assert_eq!(
            kind(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", false),
            ErrorKind::Truncated
        );
    }

    #[test]
    fn backoff_grows_with_jitter() {
        let b = Duration::from_millis(100);
        for _ in 0..20 {
            let d1 = backoff(b, 1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(150));
            let d3 = backoff(b, 3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(600));
        }
    }
}
