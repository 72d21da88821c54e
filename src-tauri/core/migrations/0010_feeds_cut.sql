-- What the running app's agenda left out of a source (its budget cut a feed with too many
-- occurrences), in words; NULL when nothing was cut. Written by the app when it changes,
-- read by `calendarbot status`, the Sources page and the tray: the data is not wrong, it
-- is incomplete, and the user must know.
ALTER TABLE feeds ADD COLUMN cut TEXT;
