//! The CalDAV tables of migration 0008: accounts, per-calendar sync state and
//! per-resource ETags with their parsed data.
//!
//! Reads take the pool; the writes of a sync take the caller's connection so they
//! share its one `BEGIN IMMEDIATE` transaction with the cache's event rows.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::ics::{Calendar, CalendarMeta, EventRecord};

/// An account as listed (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub name: String,
    /// `scheme://host[:port]`.
    pub server: String,
    pub provider: String,
    pub user: String,
    pub auth: String,
    pub created_at: String,
}

/// A calendar of an account: its source and its sync state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarState {
    pub source_id: i64,
    pub account_id: i64,
    pub href: String,
    pub display_name: String,
    pub color: Option<String>,
    pub supports_sync: bool,
    #[serde(skip)]
    pub sync_token: Option<String>,
    #[serde(skip)]
    pub ctag: Option<String>,
    pub last_sync: Option<String>,
}

fn row_to_account(r: &sqlx::sqlite::SqliteRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        server: r.try_get("server")?,
        provider: r.try_get("provider")?,
        user: r.try_get("user")?,
        auth: r.try_get("auth_kind")?,
        created_at: r.try_get("created_at")?,
    })
}

fn row_to_calendar(r: &sqlx::sqlite::SqliteRow) -> Result<CalendarState, sqlx::Error> {
    Ok(CalendarState {
        source_id: r.try_get("source_id")?,
        account_id: r.try_get("account_id")?,
        href: r.try_get("href")?,
        display_name: r.try_get("display_name")?,
        color: r.try_get("color")?,
        supports_sync: r.try_get::<i64, _>("supports_sync")? != 0,
        sync_token: r.try_get("sync_token")?,
        ctag: r.try_get("ctag")?,
        last_sync: r.try_get("last_sync")?,
    })
}

const ACCOUNT_COLUMNS: &str = "id, name, server, provider, user, auth_kind, created_at";
const CALENDAR_COLUMNS: &str =
    "source_id, account_id, href, display_name, color, supports_sync, sync_token, ctag, last_sync";

pub async fn accounts(pool: &SqlitePool) -> Result<Vec<Account>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM caldav_accounts ORDER BY id"
    )))
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_to_account).collect()
}

pub async fn insert_account(
    pool: &SqlitePool,
    name: &str,
    server: &str,
    provider: &str,
    user: &str,
    auth_kind: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO caldav_accounts (name, server, provider, user, auth_kind, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(name)
    .bind(server)
    .bind(provider)
    .bind(user)
    .bind(auth_kind)
    .bind(Utc::now().to_rfc3339())
    .fetch_one(pool)
    .await
}

pub async fn delete_account(pool: &SqlitePool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM caldav_accounts WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn calendars_of(
    pool: &SqlitePool,
    account_id: i64,
) -> Result<Vec<CalendarState>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR_COLUMNS} FROM caldav_calendars WHERE account_id = ? ORDER BY source_id"
    )))
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_to_calendar).collect()
}

/// The CalDAV state of a source; `None` when the source is not a CalDAV calendar
/// (the refresh scheduler's test for "sync this one with [`super::sync`]").
pub async fn calendar(
    pool: &SqlitePool,
    source_id: i64,
) -> Result<Option<CalendarState>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR_COLUMNS} FROM caldav_calendars WHERE source_id = ?"
    )))
    .bind(source_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(row_to_calendar).transpose()
}

pub async fn insert_calendar(pool: &SqlitePool, c: &CalendarState) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO caldav_calendars (source_id, account_id, href, display_name, color, supports_sync)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(c.source_id)
    .bind(c.account_id)
    .bind(&c.href)
    .bind(&c.display_name)
    .bind(&c.color)
    .bind(c.supports_sync as i64)
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets a calendar's sync token and ctag: the next sync is a full one (its
/// resources' ETags still spare the downloads of what did not change).
pub async fn set_sync_token(
    pool: &SqlitePool,
    source_id: i64,
    token: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE caldav_calendars SET sync_token = ?, ctag = NULL WHERE source_id = ?")
        .bind(token)
        .bind(source_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// href → ETag of the resources the last good sync stored.
pub async fn etags(
    pool: &SqlitePool,
    source_id: i64,
) -> Result<HashMap<String, Option<String>>, sqlx::Error> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT href, etag FROM caldav_resources WHERE source_id = ?")
            .bind(source_id)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}

/// One fetched resource, parsed.
#[derive(Debug, Clone)]
pub struct Resource {
    pub href: String,
    pub etag: Option<String>,
    pub calendar: Calendar,
}

pub async fn upsert_resource(
    conn: &mut SqliteConnection,
    source_id: i64,
    r: &Resource,
) -> Result<(), super::CaldavError> {
    sqlx::query(
        "INSERT INTO caldav_resources (source_id, href, etag, events_json, meta_json) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(source_id, href) DO UPDATE SET etag = excluded.etag,
            events_json = excluded.events_json, meta_json = excluded.meta_json",
    )
    .bind(source_id)
    .bind(&r.href)
    .bind(&r.etag)
    .bind(serde_json::to_string(&r.calendar.events)?)
    .bind(serde_json::to_string(&r.calendar.meta)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete_resource(
    conn: &mut SqliteConnection,
    source_id: i64,
    href: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM caldav_resources WHERE source_id = ? AND href = ?")
        .bind(source_id)
        .bind(href)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn update_state(
    conn: &mut SqliteConnection,
    source_id: i64,
    sync_token: Option<&str>,
    ctag: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE caldav_calendars SET sync_token = ?, ctag = ?, last_sync = ? WHERE source_id = ?",
    )
    .bind(sync_token)
    .bind(ctag)
    .bind(Utc::now().to_rfc3339())
    .bind(source_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The whole calendar as the cache stores it: every resource's events, the
/// calendar's name and colour, and the resources' time zones (once per TZID).
pub async fn assemble(
    conn: &mut SqliteConnection,
    state: &CalendarState,
) -> Result<Calendar, super::CaldavError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT events_json, meta_json FROM caldav_resources WHERE source_id = ? ORDER BY href",
    )
    .bind(state.source_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut cal = Calendar {
        meta: CalendarMeta {
            name: Some(state.display_name.clone()),
            color: state.color.clone(),
            ..Default::default()
        },
        events: Vec::new(),
    };
    for (events, meta) in rows {
        let events: Vec<EventRecord> = serde_json::from_str(&events)?;
        let meta: CalendarMeta = serde_json::from_str(&meta)?;
        cal.events.extend(events);
        for z in meta.timezones {
            if !cal.meta.timezones.iter().any(|t| t.tzid == z.tzid) {
                cal.meta.timezones.push(z);
            }
        }
        if cal.meta.default_tz.is_none() {
            cal.meta.default_tz = meta.default_tz;
        }
        cal.meta.warnings.extend(
            meta.warnings
                .into_iter()
                .take(10usize.saturating_sub(cal.meta.warnings.len())),
        );
    }
    Ok(cal)
}
