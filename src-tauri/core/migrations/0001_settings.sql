-- Settings: one row per key; values are stored as text and typed by `settings.rs`.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
