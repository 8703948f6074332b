-- Hardcover sync: what a link (or a failed attempt) was made from, so an unlinkable
-- book is retried only when its metadata changes, and the search candidates kept for
-- the user to confirm. The log is read newest first.
ALTER TABLE hardcover_links ADD COLUMN fingerprint TEXT;
ALTER TABLE hardcover_links ADD COLUMN candidates TEXT;   -- JSON list, below the confidence bar
CREATE INDEX hardcover_log_recent ON hardcover_log (last_synced_at DESC, id DESC);
