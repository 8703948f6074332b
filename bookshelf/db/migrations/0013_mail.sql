-- Send to e-reader by e-mail, version 13.
-- The outgoing mail server: one row. The password is sealed with the secret key, never hashed
-- (it must be presented to the server) and never shown.
CREATE TABLE smtp_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    host TEXT NOT NULL,
    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security TEXT NOT NULL CHECK (security IN ('starttls', 'tls', 'none')),
    username TEXT,
    password BLOB,                        -- SecretBox-sealed, NULL when the server needs no login
    sender TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A reader's e-readers (or any address) and the format each wants, per account.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT 'epub' CHECK (format IN ('epub', 'pdf', 'original')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id, name);

-- The jobs table's queue CHECK gains `send`. SQLite cannot alter a CHECK, so the table is
-- rebuilt with the same columns; nothing references it by foreign key.
CREATE TABLE jobs_new (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL CHECK (queue IN ('parse', 'metadata', 'organize', 'hardcover', 'maintenance', 'send')),
    task TEXT NOT NULL,
    book_id TEXT,
    args TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'completed', 'failed', 'delayed', 'paused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    progress REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    failed_at TEXT
);
INSERT INTO jobs_new (id, queue, task, book_id, args, state, attempts, error, progress, created_at, updated_at,
                      started_at, finished_at, failed_at)
    SELECT id, queue, task, book_id, args, state, attempts, error, progress, created_at, updated_at,
           started_at, finished_at, failed_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_state ON jobs (state, queue);
CREATE INDEX jobs_book ON jobs (book_id);
