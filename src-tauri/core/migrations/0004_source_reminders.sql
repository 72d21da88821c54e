-- Per-calendar reminder settings: `muted` silences every reminder of the source;
-- `lead_minutes` replaces notify.lead_minutes for it (NULL: the global setting).
ALTER TABLE sources ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN lead_minutes INTEGER;
