-- The configuration backup (db/backup.rs) is refreshed when the sources or the settings
-- changed: this counter, bumped by triggers, tells it so whoever the writer is.
CREATE TABLE config_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
) STRICT;
INSERT INTO config_changes (id, n) VALUES (1, 0);

CREATE TRIGGER sources_insert_bumps_config AFTER INSERT ON sources
BEGIN UPDATE config_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sources_update_bumps_config AFTER UPDATE ON sources
BEGIN UPDATE config_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sources_delete_bumps_config AFTER DELETE ON sources
BEGIN UPDATE config_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER settings_insert_bumps_config AFTER INSERT ON settings
BEGIN UPDATE config_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER settings_update_bumps_config AFTER UPDATE ON settings
BEGIN UPDATE config_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER settings_delete_bumps_config AFTER DELETE ON settings
BEGIN UPDATE config_changes SET n = n + 1 WHERE id = 1; END;

-- The key under which a source's credentials are filed in the secrets store, chosen
-- before the row is written so the (slow, D-Bus) keyring call happens outside the
-- write transaction. NULL for sources added before: their key is `source-<id>`.
ALTER TABLE sources ADD COLUMN secret_key TEXT;
