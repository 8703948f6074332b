-- Reading: KOReader may omit device_id, in which case a progress row is keyed by
-- the device name and has_device_id = 0 (GET then leaves device_id out instead
-- of inventing one). Plus the indexes reading sessions, links and stats read by.
ALTER TABLE progress ADD COLUMN has_device_id INTEGER NOT NULL DEFAULT 1;
CREATE INDEX reading_history_device_time ON reading_history (device_id, timestamp);
CREATE INDEX document_links_book ON document_links (book_id);
CREATE INDEX reading_finishes_book ON reading_finishes (book_id, finished_at);
CREATE INDEX reading_state_last_read ON reading_state (last_read_at);

-- Reading time and progress per quarter hour (docs/reading-stats.md), kept up
-- to date on each write so /api/stats never scans the whole history. Rows are
-- UTC quarter hours: every time zone in use is a whole number of them from UTC.
CREATE TABLE reading_activity (
    bucket INTEGER PRIMARY KEY,           -- Unix time at the start of the quarter hour
    seconds INTEGER NOT NULL,             -- estimated reading time
    gain REAL NOT NULL,                   -- fraction of books read
    updates INTEGER NOT NULL              -- KOReader writes
);
INSERT INTO reading_activity (bucket, seconds, gain, updates)
SELECT t / 900 * 900, sum(CASE WHEN gap < 600 THEN gap ELSE 0 END), sum(max(coalesce(step, 0), 0)), count(*)
FROM (
    SELECT timestamp AS t,
        timestamp - lag(timestamp) OVER (PARTITION BY device_id ORDER BY timestamp, id) AS gap,
        percentage - lag(percentage) OVER (PARTITION BY document ORDER BY timestamp, id) AS step
    FROM reading_history
)
GROUP BY 1;
