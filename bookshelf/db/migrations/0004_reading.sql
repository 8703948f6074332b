-- Reading: KOReader may omit device_id, in which case a progress row is keyed by
-- the device name and has_device_id = 0 (GET then leaves device_id out instead
-- of inventing one). Plus the indexes reading sessions, links and stats read by.
ALTER TABLE progress ADD COLUMN has_device_id INTEGER NOT NULL DEFAULT 1;
CREATE INDEX reading_history_device_time ON reading_history (device_id, timestamp);
CREATE INDEX document_links_book ON document_links (book_id);
CREATE INDEX reading_finishes_book ON reading_finishes (book_id, finished_at);
CREATE INDEX reading_state_last_read ON reading_state (last_read_at);
