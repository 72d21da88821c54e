-- Sources, their cached feeds and events.
--
-- A source's secret parts (an http(s) URL, which often carries a token in its path or
-- query, and any password, token or header) are NOT stored here: they live in the OS
-- keyring or the 0600 secrets file (secrets.rs). `display` is scheme://host[:port] only.
CREATE TABLE sources (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('http', 'webcal', 'file')),
    display          TEXT NOT NULL,
    path             TEXT,
    color            TEXT,
    enabled          INTEGER NOT NULL DEFAULT 1,
    auth_kind        TEXT NOT NULL DEFAULT 'none' CHECK (auth_kind IN ('none', 'basic', 'bearer', 'headers')),
    interval_minutes INTEGER,
    secret_store     TEXT NOT NULL DEFAULT 'none',
    created_at       TEXT NOT NULL
) STRICT;

-- One row per source: the last good feed's metadata and the fetch/health state.
-- Times are RFC 3339 UTC text.
CREATE TABLE feeds (
    source_id            INTEGER PRIMARY KEY NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    meta_json            TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    file_mtime           TEXT,
    last_success         TEXT,
    last_checked         TEXT,
    last_error           TEXT,
    error_kind           TEXT,
    circuit_state        TEXT NOT NULL DEFAULT 'closed',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    open_until           TEXT,
    retry_after          TEXT,
    event_count          INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The last good events of each source; replaced whole, in one IMMEDIATE transaction.
-- recurrence_id is '' for masters so the primary key stays simple.
CREATE TABLE events (
    source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    uid           TEXT NOT NULL,
    recurrence_id TEXT NOT NULL DEFAULT '',
    record_json   TEXT NOT NULL,
    PRIMARY KEY (source_id, seq)
) STRICT;

-- No secondary index: events are only read whole per source (by the primary key), and
-- an index on uid would only add to the write time of a large feed.
