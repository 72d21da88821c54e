//! Incremental sync of one CalDAV calendar into the cache.
//!
//! 1. What changed: with `sync-collection` (RFC 6578) the server lists the members
//!    changed or deleted since the stored token (an empty token lists them all). A
//!    server without it is asked for its `getctag` (one PROPFIND: unchanged → done),
//!    then for every member's ETag (PROPFIND Depth 1), compared with the stored ones.
//!    A rejected token (Radicale 403 `valid-sync-token`, RFC 409, Xandikos 500) is
//!    dropped and the calendar listed whole once: a full resync whose unchanged ETags
//!    still cost no download.
//! 2. Only the members whose ETag changed are fetched, by `calendar-multiget` in
//!    batches, and each is parsed by the engine's own [`ics::parse_feed`].
//! 3. Adds, changes and deletions, the new token and the cache's event rows (rebuilt
//!    from the stored resources with [`cache::write_calendar`]) are written in ONE
//!    `BEGIN IMMEDIATE` transaction. Any failure before it (a server that dies
//!    mid-sync, a bad answer) writes nothing: the last good data and token stay.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use serde::Serialize;
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::discover::{multistatus, propfind};
use super::http::DavClient;
use super::store::{self, CalendarState, Resource};
use super::xml::{self, CALDAV, CALSERVER, DAV};
use super::CaldavError;
use crate::cache::{self, StatusUpdate};
use crate::db;
use crate::fetch::breaker::{Breaker, BreakerConfig, Permit};
use crate::fetch::{ErrorKind, FetchConfig, FetchError, Validators};
use crate::ics::{self, Calendar, CalendarMeta};
use crate::secrets::SecretStore;
use crate::settings::Settings;
use crate::sources::{self, display_of, Target};

/// Members fetched per calendar-multiget.
pub const MULTIGET_BATCH: usize = 50;
/// sync-collection rounds at most (a server truncating its answer with 507).
const MAX_ROUNDS: usize = 20;

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// The cache's events were rewritten.
    pub updated: bool,
    /// Events of the calendar after the sync.
    pub events: usize,
    /// Members downloaded (new or changed).
    pub fetched: usize,
    pub deleted: usize,
    /// The stored token was rejected and the calendar listed whole.
    pub full_resync: bool,
    /// `sync-collection` or `ctag`.
    pub method: &'static str,
    /// HTTP requests this sync sent.
    pub requests: u64,
}

/// The changes to apply.
#[derive(Debug, Default)]
struct Plan {
    /// href (path) → the ETag the listing gave.
    changed: HashMap<String, Option<String>>,
    deleted: HashSet<String>,
    token: Option<String>,
    ctag: Option<String>,
    full_resync: bool,
    unchanged: bool,
}

impl CaldavError {
    /// The error as a feed's health records it (code + words; a 401 stays a 401).
    pub fn health_error(&self) -> FetchError {
        match self {
            CaldavError::Fetch { error, .. } => error.clone(),
            CaldavError::Unauthorized { .. } => FetchError::new(ErrorKind::Status(401)),
            CaldavError::Secrets(_) => FetchError::new(ErrorKind::Secrets),
            _ => FetchError::new(ErrorKind::Parse),
        }
    }
}

fn path_of(base: &Url, href: &str) -> Option<String> {
    base.join(href).ok().map(|u| u.path().to_string())
}

/// The collection's own path, with and without its trailing slash.
fn is_self(collection: &Url, path: &str) -> bool {
    path.trim_end_matches('/') == collection.path().trim_end_matches('/')
}

/// Syncs calendar `source_id` at `url` (its collection) with `client`.
pub async fn sync_calendar(
    client: &DavClient,
    pool: &SqlitePool,
    source_id: i64,
    url: &Url,
    cancel: &CancellationToken,
) -> Result<SyncReport, CaldavError> {
    let host = display_of(url);
    let fail = |e: FetchError| CaldavError::from_fetch(&host, e);
    let before = client.requests();
    let state = store::calendar(pool, source_id)
        .await?
        .ok_or(CaldavError::NotCaldav(source_id))?;
    let known = store::etags(pool, source_id).await?;
    let plan = if state.supports_sync {
        match changes_by_token(client, url, state.sync_token.as_deref(), &known, cancel).await {
            Err(TokenError::Rejected) => {
                tracing::info!(source_id, host = %host, "sync token rejected; full resync");
                let mut p = changes_by_token(client, url, None, &known, cancel)
                    .await
                    .map_err(|e| fail(e.into_fetch()))?;
                p.full_resync = true;
                p
            }
            other => other.map_err(|e| fail(e.into_fetch()))?,
        }
    } else {
        changes_by_ctag(client, url, &state, &known, cancel)
            .await
            .map_err(fail)?
    };
    let method = if state.supports_sync {
        "sync-collection"
    } else {
        "ctag"
    };
    let mut report = SyncReport {
        method,
        full_resync: plan.full_resync,
        ..Default::default()
    };
    let mut fetched = Vec::new();
    let mut deleted = plan.deleted.clone();
    if !plan.unchanged {
        let mut wanted: Vec<String> = plan.changed.keys().cloned().collect();
        wanted.sort();
        for batch in wanted.chunks(MULTIGET_BATCH) {
            let (got, gone) = multiget(client, url, batch, cancel).await.map_err(fail)?;
            fetched.extend(got);
            deleted.extend(gone);
        }
    }
    let first = state.last_sync.is_none();
    report.fetched = fetched.len();
    report.deleted = deleted.iter().filter(|h| known.contains_key(*h)).count();
    report.updated = first || !fetched.is_empty() || report.deleted > 0;

    let now = Utc::now();
    let mut tx = db::begin_immediate(pool).await?;
    for r in &fetched {
        store::upsert_resource(&mut tx, source_id, r).await?;
    }
    for h in &deleted {
        store::delete_resource(&mut tx, source_id, h).await?;
    }
    let token = plan.token.as_deref().or(state.sync_token.as_deref());
    let ctag = plan.ctag.as_deref().or(state.ctag.as_deref());
    store::update_state(&mut tx, source_id, token, ctag).await?;
    if report.updated {
        let calendar = store::assemble(&mut tx, &state).await?;
        report.events = calendar.events.len();
        cache::write_calendar(&mut tx, source_id, &calendar, &Validators::default(), now).await?;
    }
    tx.commit().await?;
    if !report.updated {
        report.events = cache::feed_state(pool, source_id).await?.event_count.max(0) as usize;
    }
    report.requests = client.requests() - before;
    tracing::debug!(
        source_id,
        host = %host,
        fetched = report.fetched,
        deleted = report.deleted,
        requests = report.requests,
        "caldav sync"
    );
    Ok(report)
}

enum TokenError {
    /// The server refused the stored token.
    Rejected,
    Fetch(FetchError),
}

impl TokenError {
    fn into_fetch(self) -> FetchError {
        match self {
            TokenError::Rejected => FetchError::new(ErrorKind::Status(403)),
            TokenError::Fetch(e) => e,
        }
    }
}

impl From<FetchError> for TokenError {
    fn from(e: FetchError) -> Self {
        TokenError::Fetch(e)
    }
}

/// RFC 6578: the members changed since `token` (all of them without one).
async fn changes_by_token(
    client: &DavClient,
    url: &Url,
    token: Option<&str>,
    known: &HashMap<String, Option<String>>,
    cancel: &CancellationToken,
) -> Result<Plan, TokenError> {
    let initial = token.is_none();
    let mut token = token.map(str::to_string);
    let mut plan = Plan::default();
    let mut listed = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let resp = client
            .send(
                "REPORT",
                url,
                Some("0"),
                Some(xml::sync_collection(token.as_deref())),
                cancel,
            )
            .await?;
        let status = resp.status.as_u16();
        // 403/409 (RFC 6578's valid-sync-token precondition), 400/412 from others,
        // and Xandikos' 500 for a token it does not know.
        if token.is_some() && matches!(status, 400 | 403 | 409 | 412 | 500) {
            return Err(TokenError::Rejected);
        }
        let ms = multistatus(&resp)?;
        let mut truncated = false;
        for r in &ms.responses {
            let Some(path) = path_of(&resp.url, &r.href) else {
                continue;
            };
            if is_self(url, &path) {
                truncated |= r.status == Some(507);
                continue;
            }
            if path.ends_with('/') {
                continue; // a sub-collection, not an event resource
            }
            if r.status == Some(404) {
                plan.changed.remove(&path);
                plan.deleted.insert(path);
                continue;
            }
            let etag = r.prop_text(DAV, "getetag");
            listed.insert(path.clone());
            plan.deleted.remove(&path);
            if etag.is_none() || known.get(&path) != Some(&etag) {
                plan.changed.insert(path, etag);
            }
        }
        if ms.sync_token.is_some() {
            token = ms.sync_token.clone();
        }
        if !truncated {
            break;
        }
    }
    if initial {
        // A listing from scratch: whatever we hold that it lacks is gone.
        plan.deleted
            .extend(known.keys().filter(|h| !listed.contains(*h)).cloned());
    }
    plan.token = token;
    plan.unchanged = plan.changed.is_empty() && plan.deleted.is_empty();
    Ok(plan)
}

/// Without sync-collection: the ctag says whether anything changed, the ETags what.
async fn changes_by_ctag(
    client: &DavClient,
    url: &Url,
    state: &CalendarState,
    known: &HashMap<String, Option<String>>,
    cancel: &CancellationToken,
) -> Result<Plan, FetchError> {
    let (_, ms) = propfind(client, url, "0", &[(CALSERVER, "getctag")], cancel).await?;
    let ctag = ms
        .responses
        .first()
        .and_then(|r| r.prop_text(CALSERVER, "getctag"));
    let mut plan = Plan {
        ctag: ctag.clone(),
        ..Default::default()
    };
    if ctag.is_some() && ctag == state.ctag && state.last_sync.is_some() {
        plan.unchanged = true;
        return Ok(plan);
    }
    let (resp, ms) = propfind(
        client,
        url,
        "1",
        &[(DAV, "getetag"), (DAV, "resourcetype")],
        cancel,
    )
    .await?;
    let mut listed = HashSet::new();
    for r in &ms.responses {
        let Some(path) = path_of(&resp.url, &r.href) else {
            continue;
        };
        let collection = r
            .prop(DAV, "resourcetype")
            .is_some_and(|t| t.child(DAV, "collection").is_some());
        if is_self(url, &path) || collection || path.ends_with('/') {
            continue;
        }
        let etag = r.prop_text(DAV, "getetag");
        listed.insert(path.clone());
        if etag.is_none() || known.get(&path) != Some(&etag) {
            plan.changed.insert(path, etag);
        }
    }
    plan.deleted = known
        .keys()
        .filter(|h| !listed.contains(*h))
        .cloned()
        .collect();
    plan.unchanged = plan.changed.is_empty() && plan.deleted.is_empty();
    Ok(plan)
}

/// Downloads `hrefs`; returns the parsed resources and the hrefs the server says are
/// gone (a member deleted between the listing and the download).
async fn multiget(
    client: &DavClient,
    url: &Url,
    hrefs: &[String],
    cancel: &CancellationToken,
) -> Result<(Vec<Resource>, Vec<String>), FetchError> {
    let resp = client
        .send(
            "REPORT",
            url,
            Some("1"),
            Some(xml::calendar_multiget(hrefs)),
            cancel,
        )
        .await?;
    let ms = multistatus(&resp)?;
    let mut got = Vec::new();
    let mut seen = HashSet::new();
    for r in &ms.responses {
        let Some(path) = path_of(&resp.url, &r.href) else {
            continue;
        };
        if !hrefs.contains(&path) {
            continue;
        }
        let Some(data) = r.prop(CALDAV, "calendar-data").map(|d| d.text.clone()) else {
            continue;
        };
        seen.insert(path.clone());
        let calendar = match ics::parse_feed(data.as_bytes()) {
            Ok(c) => c,
            // Kept with its ETag, so it is not downloaded again until it changes.
            Err(e) => Calendar {
                meta: CalendarMeta {
                    warnings: vec![format!("a calendar object could not be read: {e}")],
                    ..Default::default()
                },
                events: Vec::new(),
            },
        };
        got.push(Resource {
            href: path,
            etag: r.prop_text(DAV, "getetag"),
            calendar,
        });
    }
    let gone = hrefs
        .iter()
        .filter(|h| !seen.contains(*h))
        .cloned()
        .collect();
    Ok((got, gone))
}

/// What a standalone sync needs (the command line, tests; the app's refresh scheduler
/// has the same pieces in its `Deps`).
#[derive(Clone, Copy)]
pub struct SyncEnv<'a> {
    pub pool: &'a SqlitePool,
    pub secrets: &'a SecretStore,
    pub fetch: &'a FetchConfig,
    pub settings: &'a Settings,
}

/// One calendar, with the feeds' circuit breaker and health: a failure is recorded
/// on the source's `feeds` row (its events untouched), an unchanged calendar moves
/// `last_checked`, an open circuit sends no request.
pub async fn sync_source(
    env: SyncEnv<'_>,
    source_id: i64,
    cancel: &CancellationToken,
) -> Result<SyncReport, CaldavError> {
    let source = sources::get(env.pool, source_id).await?;
    let resolved = sources::resolve(env.pool, env.secrets, source).await?;
    let Target::Http { url, auth } = resolved.target else {
        return Err(CaldavError::NotCaldav(source_id));
    };
    let now = Utc::now();
    let cfg = BreakerConfig::from_settings(env.settings);
    let mut breaker = cache::feed_state(env.pool, source_id).await?.breaker;
    if let Permit::Rejected { .. } = breaker.check(now, &cfg) {
        return Err(CaldavError::from_fetch(
            &display_of(&url),
            FetchError::new(ErrorKind::CircuitOpen),
        ));
    }
    let client = DavClient::new(
        env.fetch,
        env.settings.fetch_max_bytes,
        env.settings.allow_local_network,
        auth,
    )
    .map_err(|e| CaldavError::from_fetch(&display_of(&url), e))?;
    match sync_calendar(&client, env.pool, source_id, &url, cancel).await {
        Ok(report) => {
            if !report.updated {
                let up = StatusUpdate::NotModified {
                    at: now,
                    breaker: Breaker::default(),
                };
                cache::store_status(env.pool, source_id, &up).await?;
            }
            Ok(report)
        }
        Err(e) => {
            breaker.record_failure(now, &cfg);
            let up = StatusUpdate::Failed {
                at: now,
                error: e.health_error(),
                breaker,
            };
            cache::store_status(env.pool, source_id, &up).await?;
            tracing::info!(
                source_id,
                code = e.health_error().kind.code(),
                "caldav sync failed"
            );
            Err(e)
        }
    }
}

/// Every enabled CalDAV calendar once, one after the other, each with its outcome.
pub async fn sync_all(
    env: SyncEnv<'_>,
    cancel: &CancellationToken,
) -> Result<Vec<(sources::Source, Result<SyncReport, CaldavError>)>, CaldavError> {
    let mut out = Vec::new();
    for source in sources::list(env.pool)
        .await?
        .into_iter()
        .filter(|s| s.enabled)
    {
        if store::calendar(env.pool, source.id).await?.is_none() {
            continue;
        }
        let r = sync_source(env, source.id, cancel).await;
        out.push((source, r));
    }
    Ok(out)
}
