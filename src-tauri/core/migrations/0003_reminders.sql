-- Reminder ledger: what was shown, snoozed or dismissed, per occurrence and alarm, so a
-- reminder is shown at most once across restarts, crashes and a second launch.
-- The key is the occurrence's identity (source, UID, original start / RECURRENCE-ID) plus the
-- alarm id; `event_start` is the start the row was written for: when a feed update moves the
-- occurrence the row no longer applies (its snooze is void and the alarm is due again).
-- Instants are Unix milliseconds (UTC).
CREATE TABLE reminder_ledger (
    source_id    INTEGER NOT NULL,
    uid          TEXT    NOT NULL,
    occurrence   TEXT    NOT NULL,
    alarm        TEXT    NOT NULL,
    event_start  INTEGER NOT NULL,
    due          INTEGER NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('fired', 'snoozed', 'dismissed')),
    snooze_until INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (source_id, uid, occurrence, alarm)
) STRICT;

CREATE INDEX reminder_ledger_event_start ON reminder_ledger (event_start);

-- Small scheduler state: `pause_until` (notifications paused until then) and `watermark`
-- (the wall-clock instant up to which due reminders were processed; missed ones after a
-- crash or suspend are those due after it).
CREATE TABLE reminder_state (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) STRICT;
