-- Library imports (calibre, folder trees), version 9.
-- One row per import run started through the API: what it was asked to do and
-- how far it got, for GET /api/import/{jobId}. The job row carries the state
-- and progress fraction; this keeps the counts and the per-item outcomes.
CREATE TABLE import_runs (
    job_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,          -- what the queued task is given to find this row
    mode TEXT NOT NULL CHECK (mode IN ('calibre', 'folder')),
    path TEXT NOT NULL,
    in_place INTEGER NOT NULL DEFAULT 0,
    review INTEGER NOT NULL DEFAULT 0,
    total INTEGER,                        -- items found (books for calibre, files for folders)
    done INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0,
    duplicates TEXT NOT NULL DEFAULT '[]',  -- JSON [{"source","name","bookId"}]
    failed TEXT NOT NULL DEFAULT '[]',      -- JSON [{"source","name","reason"}]
    skipped TEXT NOT NULL DEFAULT '[]',     -- JSON [{"source","name","reason"}]
    notes TEXT NOT NULL DEFAULT '[]',       -- JSON [{"kind","source","name","reason"}]: part of an item
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Which book an import source became, found by book (a deleted book frees its sources).
CREATE INDEX import_sources_book ON import_sources (book_id);
