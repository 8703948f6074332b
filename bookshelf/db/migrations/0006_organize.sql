-- Organize and metadata lookups, version 6.
-- A move whose bytes change (metadata embedded) is staged in data/tmp first;
-- the journal keeps the staged copy and the SHA-256 the destination must have,
-- so start-up recovery can tell a finished copy from a partial or foreign one.
ALTER TABLE file_moves ADD COLUMN staged_path TEXT;
ALTER TABLE file_moves ADD COLUMN dst_sha256 TEXT;
ALTER TABLE file_moves ADD COLUMN error TEXT;

-- Fingerprint of the metadata and cover last written into the file, so
-- organizing an unchanged book again touches nothing.
ALTER TABLE files ADD COLUMN embedded TEXT;

-- The outcome of the last metadata lookup per book: which providers answered,
-- which were skipped and why, so "no match" is never confused with a failure.
CREATE TABLE metadata_lookups (
    book_id TEXT PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
    fetched_at TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '[]'      -- JSON: [{"source","status","reason","message"}]
);
