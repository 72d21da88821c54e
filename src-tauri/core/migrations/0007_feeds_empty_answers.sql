-- How many fetches in a row returned a calendar with no events while the cache held
-- some: the last good data is only replaced by an empty answer on the third one.
ALTER TABLE feeds ADD COLUMN empty_answers INTEGER NOT NULL DEFAULT 0;
