//! Finding an account's calendars (RFC 6764, RFC 4791 §6, RFC 5397).
//!
//! For each start point ([`presets::start_points`]): PROPFIND `current-user-principal`
//! (a `/.well-known/caldav` answers with a redirect the client follows, method kept),
//! then the principal's `calendar-home-set`, then a Depth 1 PROPFIND of the home that
//! lists the calendars with what the user picks by (name, colour) and what sync needs
//! (getctag, sync-token, whether `sync-collection` is supported). Calendars that hold
//! no events (task lists: a component set without VEVENT) are left out. A 401 stops
//! at once with words naming the host; a start point that is not a DAV server (404,
//! 405, a web page) moves on to the next one.

use tokio_util::sync::CancellationToken;
use url::Url;

use super::http::{DavClient, DavResponse};
use super::presets::{self, normalize_color};
use super::xml::{self, Element, Multistatus, Response, APPLE, CALDAV, CALSERVER, DAV};
use super::CaldavError;
use crate::fetch::{ErrorKind, FetchError};
use crate::sources::display_of;

/// A calendar collection as listed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredCalendar {
    pub url: Url,
    /// The collection's path (the key of the calendar within its account).
    pub href: String,
    pub name: String,
    /// `#RRGGBB`.
    pub color: Option<String>,
    /// Components the calendar accepts (empty: the server did not say).
    pub components: Vec<String>,
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
    pub supports_sync: bool,
}

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub provider: &'static str,
    /// `scheme://host[:port]` of the home set.
    pub server: String,
    pub principal: Url,
    pub home: Url,
    pub calendars: Vec<DiscoveredCalendar>,
}

/// Properties of the calendar listing.
const LIST_PROPS: &[(&str, &str)] = &[
    (DAV, "resourcetype"),
    (DAV, "displayname"),
    (APPLE, "calendar-color"),
    (CALDAV, "supported-calendar-component-set"),
    (CALSERVER, "getctag"),
    (DAV, "sync-token"),
    (DAV, "supported-report-set"),
];

/// PROPFIND and parse a 207; any other status is a [`FetchError`].
pub(crate) async fn propfind(
    client: &DavClient,
    url: &Url,
    depth: &str,
    props: &[(&str, &str)],
    cancel: &CancellationToken,
) -> Result<(DavResponse, Multistatus), FetchError> {
    let resp = client
        .send(
            "PROPFIND",
            url,
            Some(depth),
            Some(xml::propfind(props)),
            cancel,
        )
        .await?;
    let ms = multistatus(&resp)?;
    Ok((resp, ms))
}

/// The multistatus of a 207; a non-207 is the matching error.
pub(crate) fn multistatus(resp: &DavResponse) -> Result<Multistatus, FetchError> {
    if resp.status.as_u16() != 207 {
        return Err(FetchError::new(if resp.status.is_success() {
            // A 200 to a PROPFIND is a web server that does not speak WebDAV.
            ErrorKind::NotCalendar
        } else {
            ErrorKind::Status(resp.status.as_u16())
        }));
    }
    xml::parse_multistatus(&resp.text()).map_err(|_| FetchError::new(ErrorKind::Parse))
}

/// True when `el` or anything below it is `ns:name`.
fn contains(el: &Element, ns: &str, name: &str) -> bool {
    el.is(ns, name) || el.children.iter().any(|c| contains(c, ns, name))
}

fn is_calendar(r: &Response) -> bool {
    r.prop(DAV, "resourcetype")
        .is_some_and(|t| t.child(CALDAV, "calendar").is_some())
}

/// Discovers the calendars of the account behind `address`.
pub async fn discover(
    client: &DavClient,
    address: &str,
    cancel: &CancellationToken,
) -> Result<Discovery, CaldavError> {
    let start = presets::start_points(address)?;
    let host = start.candidates.first().map(display_of).unwrap_or_default();
    let mut tried = Vec::new();
    for candidate in &start.candidates {
        let here = display_of(candidate);
        let props = [
            (DAV, "current-user-principal"),
            (DAV, "resourcetype"),
            (CALDAV, "calendar-home-set"),
        ];
        let (resp, ms) = match propfind(client, candidate, "0", &props, cancel).await {
            Ok(r) => r,
            Err(e) => match e.kind {
                ErrorKind::Status(401) => return Err(CaldavError::Unauthorized { host: here }),
                // Not a DAV endpoint here: try the next start point.
                ErrorKind::Status(_) | ErrorKind::NotCalendar | ErrorKind::Parse => {
                    tried.push(candidate.path().to_string());
                    continue;
                }
                _ => return Err(CaldavError::from_fetch(&here, e)),
            },
        };
        let first = ms.responses.first().cloned().unwrap_or_default();
        let principal = match first.prop_href(DAV, "current-user-principal") {
            Some(href) => client
                .resolve_href(&resp.url, &href)
                .map_err(|e| CaldavError::from_fetch(&here, e))?,
            None => resp.url.clone(),
        };
        let home = if let Some(h) = first.prop_href(CALDAV, "calendar-home-set") {
            client.resolve_href(&resp.url, &h)
        } else if is_calendar(&first) {
            // The user gave a calendar's own address.
            Ok(resp.url.clone())
        } else {
            match propfind(
                client,
                &principal,
                "0",
                &[(CALDAV, "calendar-home-set")],
                cancel,
            )
            .await
            {
                Ok((presp, pms)) => match pms
                    .responses
                    .first()
                    .and_then(|r| r.prop_href(CALDAV, "calendar-home-set"))
                {
                    Some(h) => client.resolve_href(&presp.url, &h),
                    None => Ok(principal.clone()),
                },
                Err(e) if e.kind == ErrorKind::Status(401) => {
                    return Err(CaldavError::Unauthorized {
                        host: display_of(&principal),
                    })
                }
                Err(e) => Err(e),
            }
        }
        .map_err(|e| CaldavError::from_fetch(&here, e))?;
        let calendars = list_calendars(client, &home, cancel).await?;
        return Ok(Discovery {
            provider: start.provider,
            server: display_of(&home),
            principal,
            home,
            calendars,
        });
    }
    Err(CaldavError::NotFound {
        host,
        tried: tried.join(", "),
    })
}

/// The event calendars directly under `home` (or `home` itself when it is one).
pub async fn list_calendars(
    client: &DavClient,
    home: &Url,
    cancel: &CancellationToken,
) -> Result<Vec<DiscoveredCalendar>, CaldavError> {
    let here = display_of(home);
    let (resp, ms) = propfind(client, home, "1", LIST_PROPS, cancel)
        .await
        .map_err(|e| CaldavError::from_fetch(&here, e))?;
    let mut out = Vec::new();
    for r in ms.responses.iter().filter(|r| is_calendar(r)) {
        let url = client
            .resolve_href(&resp.url, &r.href)
            .map_err(|e| CaldavError::from_fetch(&here, e))?;
        let components: Vec<String> = r
            .prop(CALDAV, "supported-calendar-component-set")
            .map(|set| {
                set.children_named(CALDAV, "comp")
                    .filter_map(|c| c.attr("name").map(|n| n.to_ascii_uppercase()))
                    .collect()
            })
            .unwrap_or_default();
        if !components.is_empty() && !components.iter().any(|c| c == "VEVENT") {
            continue;
        }
        let last_segment = url
            .path_segments()
            .and_then(|mut s| s.rfind(|p| !p.is_empty()))
            .map(|s| {
                crate::ics::text::clean_summary(
                    &percent_encoding::percent_decode_str(s).decode_utf8_lossy(),
                )
            })
            .unwrap_or_else(|| "calendar".into());
        out.push(DiscoveredCalendar {
            href: url.path().to_string(),
            // The server's display name is feed text like a SUMMARY: it reaches the
            // tray, the window and the terminal, so it crosses the same boundary.
            name: r
                .prop_text(DAV, "displayname")
                .map(|n| crate::ics::text::clean_summary(&n))
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(last_segment),
            color: r
                .prop_text(APPLE, "calendar-color")
                .and_then(|c| normalize_color(&c)),
            components,
            ctag: r.prop_text(CALSERVER, "getctag"),
            sync_token: r.prop_text(DAV, "sync-token"),
            supports_sync: r
                .prop(DAV, "supported-report-set")
                .is_some_and(|s| contains(s, DAV, "sync-collection"))
                || r.prop_text(DAV, "sync-token").is_some(),
            url,
        });
    }
    if out.is_empty() {
        return Err(CaldavError::NoCalendars { host: here });
    }
    Ok(out)
}
