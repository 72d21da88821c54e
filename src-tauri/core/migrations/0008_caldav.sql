-- CalDAV accounts and the sync state of their calendars.
--
-- Each calendar of an account is a row of `sources` (its collection URL and the
-- account's credentials are that source's secrets, like a feed's); the tables here
-- only add what incremental sync needs. No secret is stored here: `server` is
-- scheme://host[:port], `user` is the login name shown in `accounts list`.
CREATE TABLE caldav_accounts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    server     TEXT NOT NULL,
    provider   TEXT NOT NULL,
    user       TEXT NOT NULL,
    auth_kind  TEXT NOT NULL CHECK (auth_kind IN ('basic', 'bearer')),
    created_at TEXT NOT NULL
) STRICT;

-- One row per calendar (= per source). `href` is the collection's path on the server;
-- `sync_token` (RFC 6578) or `ctag` (calendarserver.org getctag) is what the last
-- good sync saw. Both are cleared to force a full resync.
CREATE TABLE caldav_calendars (
    source_id     INTEGER PRIMARY KEY NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES caldav_accounts(id) ON DELETE CASCADE,
    href          TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    color         TEXT,
    supports_sync INTEGER NOT NULL DEFAULT 0,
    sync_token    TEXT,
    ctag          TEXT,
    last_sync     TEXT,
    UNIQUE (account_id, href)
) STRICT;

-- One row per calendar object resource (an .ics on the server): its ETag and its
-- calendar-data as parsed by the engine (events, and the meta holding its VTIMEZONEs).
-- The source's `events` rows are rebuilt from these in the same transaction.
CREATE TABLE caldav_resources (
    source_id   INTEGER NOT NULL REFERENCES caldav_calendars(source_id) ON DELETE CASCADE,
    href        TEXT NOT NULL,
    etag        TEXT,
    events_json TEXT NOT NULL,
    meta_json   TEXT NOT NULL,
    PRIMARY KEY (source_id, href)
) STRICT;
