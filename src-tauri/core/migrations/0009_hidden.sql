-- Hide rules: occurrences or whole series the user hid from the tray, the window and
-- the reminders. They key on what the feed itself says (the event's UID and, for one
-- occurrence, its RECURRENCE-ID: the original start, UTC, `YYYYMMDDTHHMMSSZ`, as in
-- `Occurrence::key`), never on the cache's row ids, so a refresh that rewrites the
-- cache, or a read-only feed that changes, keeps them. `recurrence_id` NULL hides every
-- occurrence of the UID (the whole series, or the one event of a non-recurring UID).
-- `title` is the event's summary when it was hidden, only to show the rule.
-- Removing a source removes its rules (cascade).
CREATE TABLE hidden (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    uid           TEXT NOT NULL,
    recurrence_id TEXT,
    title         TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

-- One rule per occurrence or series (NULLs are distinct in a plain UNIQUE).
CREATE UNIQUE INDEX hidden_one_rule ON hidden (source_id, uid, IFNULL(recurrence_id, ''));
