-- Reminders that are delivered exactly once, and the notifier's health.
--
-- 1. The ledger gains the state 'claimed': a reminder is claimed (committed) before it is
--    shown and becomes 'fired' only when the notification server answered. A claimed row
--    is shown again (retried) on the next round and after a restart, so a lost connection
--    or a server that went away never silently drops a reminder. SQLite cannot change a
--    CHECK constraint in place, so the table is rebuilt.
CREATE TABLE reminder_ledger_new (
    source_id    INTEGER NOT NULL,
    uid          TEXT    NOT NULL,
    occurrence   TEXT    NOT NULL,
    alarm        TEXT    NOT NULL,
    event_start  INTEGER NOT NULL,
    due          INTEGER NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('claimed', 'fired', 'snoozed', 'dismissed')),
    snooze_until INTEGER,
    updated_at   INTEGER NOT NULL,
    -- Failed show attempts of a claimed row (for the health line).
    attempts     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, uid, occurrence, alarm)
) STRICT;

INSERT INTO reminder_ledger_new
    (source_id, uid, occurrence, alarm, event_start, due, state, snooze_until, updated_at)
SELECT source_id, uid, occurrence, alarm, event_start, due, state, snooze_until, updated_at
FROM reminder_ledger;

DROP TABLE reminder_ledger;
ALTER TABLE reminder_ledger_new RENAME TO reminder_ledger;
CREATE INDEX reminder_ledger_event_start ON reminder_ledger (event_start);

-- 2. Whether notifications are reaching the user: written by the running app when a show
--    fails and when one succeeds again; read by `calendarbot status` and the tray.
CREATE TABLE notifier_health (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    failing_since INTEGER,
    last_error    TEXT,
    last_ok       INTEGER,
    updated_at    INTEGER NOT NULL
) STRICT;
